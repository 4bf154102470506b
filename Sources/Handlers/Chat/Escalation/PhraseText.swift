/// A text prepared for phrase counting: lowercased, curly apostrophes straightened, every run
/// of characters other than letters, digits and apostrophes turned into one space, padded with a
/// space on both sides, so ` phrase ` matches whole words only.
struct PhraseText: Sendable {
    /// The prepared text.
    let padded: String
    /// How many words it holds.
    let wordCount: Int

    /// Prepares `text`.
    init(_ text: String) {
        var result = " "
        var words = 0
        var inWord = false
        for scalar in text.lowercased().unicodeScalars {
            let normalized: Unicode.Scalar = scalar == "\u{2019}" ? "'" : scalar
            if normalized.properties.isAlphabetic || ("0"..."9").contains(normalized) || normalized == "'" {
                if !inWord { words += 1 }
                inWord = true
                result.unicodeScalars.append(normalized)
            } else if inWord {
                inWord = false
                result.unicodeScalars.append(" ")
            }
        }
        if inWord { result.unicodeScalars.append(" ") }
        self.padded = result
        self.wordCount = words
    }

    /// How often `phrase` (lowercase words separated by single spaces) occurs.
    func count(_ phrase: String) -> Int {
        let needle = Array((" " + phrase + " ").utf8)
        let haystack = Array(self.padded.utf8)
        guard needle.count <= haystack.count else { return 0 }
        var count = 0
        var start = 0
        while start + needle.count <= haystack.count {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) {
                count += 1
                // The closing space may open the next occurrence.
                start += needle.count - 1
            } else {
                start += 1
            }
        }
        return count
    }

    /// Whether `phrase` occurs.
    func contains(_ phrase: String) -> Bool {
        self.padded.contains(" " + phrase + " ")
    }

    /// The first of `phrases` that occurs (each normalised like a text first).
    func firstMatch(in phrases: [String]) -> String? {
        phrases.first { phrase in
            let normalized = PhraseText(phrase).padded
            return normalized.count > 2 && self.padded.contains(normalized)
        }
    }
}
