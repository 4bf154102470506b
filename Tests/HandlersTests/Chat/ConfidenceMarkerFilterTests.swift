import ChatStreams
import Testing

/// The confidence marker never reaches a user: every recognised form is removed and scored,
/// also when the answer is split into pieces at every possible position.
@Suite("Confidence marker filter")
struct ConfidenceMarkerFilterTests {
    @Test(
        "Every recognised form is removed and scored",
        arguments: [
            ("Paris is the capital. [confidence: high]", "Paris is the capital.", 0.9),
            ("Paris. [Confidence: MEDIUM]", "Paris.", 0.6),
            ("Paris.\n\n[confidence:low]", "Paris.", 0.3),
            ("Paris. [confidence: very_low]", "Paris.", 0.1),
            ("Paris. [ confidence : very low ]", "Paris.", 0.1),
            ("Paris. [confidence: very-low]", "Paris.", 0.1),
            ("Paris.\nConfidence level: high", "Paris.", 0.9),
            ("Paris. confidence level: medium.", "Paris..", 0.6),
            ("Paris. (confidence: 85%)", "Paris.", 0.85),
            ("Paris. (confidence: 72.5 %)", "Paris.", 0.725),
            ("[confidence: high] Paris.", " Paris.", 0.9),
        ])
    func forms(answer: String, shown: String, score: Double) {
        let (text, marker) = ConfidenceMarkerFilter.strip(answer)
        #expect(text == shown)
        #expect(marker?.score == score)
    }

    @Test(
        "Text that only looks like a marker stays",
        arguments: [
            "We are confident: this works.",
            "See [1] and [2].",
            "The confidence interval (95%) is wide.",
            "Call (confidence) line 3.",
            "confidence level: unknown",
            "[confidence: highest]",
            "c",
            "Ends with [conf",
        ])
    func notMarkers(answer: String) {
        let (text, marker) = ConfidenceMarkerFilter.strip(answer)
        #expect(text == answer)
        #expect(marker == nil)
    }

    @Test("A marker split into two pieces at every position never shows, in any piece")
    func everySplitOfTwo() {
        let answers = [
            "Opening hours are 9 to 5 on weekdays. [confidence: high]",
            "Opening hours are 9 to 5.\nConfidence level: medium",
            "Opening hours are 9 to 5. (confidence: 40%)",
            "[confidence: low] Opening hours are 9 to 5.",
        ]
        for answer in answers {
            let expected = ConfidenceMarkerFilter.strip(answer)
            let scalars = Array(answer.unicodeScalars)
            for split in 0...scalars.count {
                var filter = ConfidenceMarkerFilter()
                var first = String.UnicodeScalarView()
                first.append(contentsOf: scalars[..<split])
                var second = String.UnicodeScalarView()
                second.append(contentsOf: scalars[split...])
                let pieces = [filter.push(String(first)), filter.push(String(second)), filter.finish()]
                for piece in pieces {
                    #expect(!piece.lowercased().contains("confidence"), "split \(split) of \(answer): \(pieces)")
                }
                #expect(pieces.joined() == expected.text, "split \(split) of \(answer)")
                #expect(filter.marker == expected.marker)
            }
        }
    }

    @Test("One character per piece: the marker never shows")
    func characterByCharacter() {
        let answer = "Yes, we ship to Canada within 5 days. [confidence: medium]"
        var filter = ConfidenceMarkerFilter()
        var shown = ""
        for character in answer {
            let piece = filter.push(String(character))
            #expect(!piece.contains("["), "piece \(piece)")
            shown += piece
        }
        shown += filter.finish()
        #expect(shown == "Yes, we ship to Canada within 5 days.")
        #expect(filter.marker?.score == 0.6)
    }

    @Test("A marker cut off by the end of the answer is dropped once its keyword arrived")
    func cutMarker() {
        var filter = ConfidenceMarkerFilter()
        let shown = filter.push("Done. [confidence: hi") + filter.finish()
        #expect(shown == "Done.")
    }
}
