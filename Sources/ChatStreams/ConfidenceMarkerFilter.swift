/// Removes confidence markers (``ConfidenceMarker``) from an answer as it streams, so no user
/// ever sees one, also when the model splits a marker over several pieces.
///
/// Each ``push(_:)`` returns the text that is safe to show now; it holds back a short tail that
/// might still become a marker (a `[`, `(` or `c` that reads like the start of one) and trailing
/// whitespace (so the space before a final marker is dropped with it). ``finish()`` returns the
/// rest; a marker cut off by the end of the stream is dropped once its word "confidence" has
/// arrived. The concatenation of everything returned is the answer without markers. The last
/// marker found is ``marker``.
///
/// ```swift
/// var filter = ConfidenceMarkerFilter()
/// let shown = filter.push("Paris. [confid") + filter.push("ence: high]") + filter.finish()
/// // shown == "Paris.", filter.marker?.score == 0.9
/// ```
package struct ConfidenceMarkerFilter: Sendable {
    private var pending: [Unicode.Scalar] = []

    /// The last marker found so far.
    package private(set) var marker: ConfidenceMarker?

    /// Creates a filter.
    package init() {}

    /// Takes the next piece of the answer.
    ///
    /// - Returns: The text that can be shown now (possibly empty).
    package mutating func push(_ text: String) -> String {
        self.pending.append(contentsOf: text.unicodeScalars)
        return self.process(atEnd: false)
    }

    /// Ends the answer.
    ///
    /// - Returns: The rest of the text that can be shown, without trailing whitespace.
    package mutating func finish() -> String {
        self.process(atEnd: true)
    }

    /// The whole of `text` without markers (and without the whitespace before them), and the
    /// last marker it held.
    package static func strip(_ text: String) -> (text: String, marker: ConfidenceMarker?) {
        var filter = ConfidenceMarkerFilter()
        let shown = filter.push(text) + filter.finish()
        return (shown, filter.marker)
    }

    private mutating func process(atEnd: Bool) -> String {
        var output = String.UnicodeScalarView()
        var index = 0
        var held: ArraySlice<Unicode.Scalar> = []
        scan: while index < self.pending.count {
            let scalar = self.pending[index]
            if ConfidenceMarker.canStart(scalar) {
                switch ConfidenceMarker.match(self.pending, at: index, atEnd: atEnd) {
                case .complete(let end, let marker):
                    self.marker = marker
                    Self.trimTrailingWhitespace(&output)
                    index = end
                    continue scan
                case .partial(let keyword):
                    if atEnd {
                        if keyword { index = self.pending.count }
                        // Otherwise the tail is ordinary text: shown below.
                        break
                    }
                    held = self.pending[index...]
                    index = self.pending.count
                    break scan
                case .mismatch:
                    break
                }
            }
            if index < self.pending.count {
                output.append(self.pending[index])
                index += 1
            }
        }
        // Trailing whitespace waits: a marker may follow it (and at the end it is dropped).
        var trailing: [Unicode.Scalar] = []
        while let last = output.last, last.properties.isWhitespace {
            trailing.insert(last, at: 0)
            output.removeLast()
        }
        self.pending = atEnd ? [] : trailing + Array(held)
        return String(output)
    }

    private static func trimTrailingWhitespace(_ output: inout String.UnicodeScalarView) {
        while let last = output.last, last.properties.isWhitespace {
            output.removeLast()
        }
    }
}
