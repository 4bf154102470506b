/// A confidence self-assessment the system prompt asks the model to end its answer with, in
/// one of the forms ESCALATION.md recognises (case-insensitive, spaces allowed around the
/// punctuation):
///
/// - `[confidence: high|medium|low|very_low]` (`very low` and `very-low` too),
/// - `confidence level: <level>`,
/// - `(confidence: NN%)`.
///
/// Levels map to high 0.9, medium 0.6, low 0.3, very_low 0.1; a percentage to NN/100 (at most
/// 1).
package struct ConfidenceMarker: Sendable, Hashable {
    /// The self-assessed score, 0...1.
    package var score: Double

    /// Creates a marker.
    package init(score: Double) {
        self.score = score
    }

    /// How a match attempt at one position of a text ended.
    enum Match: Hashable {
        /// A whole marker, ending before scalar `end`.
        case complete(end: Int, marker: ConfidenceMarker)
        /// The text ends while it still reads like a marker; `keyword` tells whether the
        /// word "confidence" was already seen.
        case partial(keyword: Bool)
        /// No marker starts here.
        case mismatch
    }

    /// Whether `scalar` can start a marker.
    static func canStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "[" || scalar == "(" || scalar == "c" || scalar == "C"
    }

    /// Matches a marker starting at `start` in `text`.
    ///
    /// - Parameters:
    ///   - text: The text.
    ///   - start: Where the marker would begin.
    ///   - atEnd: Whether no more text follows (a level word then needs no boundary after it).
    static func match(_ text: [Unicode.Scalar], at start: Int, atEnd: Bool) -> Match {
        var best: Match = .mismatch
        for form in Form.allCases {
            var scanner = Scanner(text: text, index: start, atEnd: atEnd)
            let result = scanner.run(form)
            switch result {
            case .complete: return result
            case .partial(let keyword):
                if case .partial(let earlier) = best {
                    best = .partial(keyword: earlier || keyword)
                } else {
                    best = result
                }
            case .mismatch: break
            }
        }
        return best
    }

    private enum Form: CaseIterable {
        case bracketed
        case levelPhrase
        case percentage
    }

    private struct Scanner {
        let text: [Unicode.Scalar]
        var index: Int
        let atEnd: Bool
        var keyword = false

        /// The outcome of one step: go on, or stop with a match result.
        enum Step {
            case next
            case stop(Match)
        }

        mutating func run(_ form: Form) -> Match {
            let steps: [(inout Scanner) -> Step]
            switch form {
            case .bracketed:
                steps = [
                    { $0.literal("[") }, { $0.spaces() }, { $0.keywordLiteral() }, { $0.spaces() },
                    { $0.literal(":") }, { $0.spaces() }, { $0.level() }, { $0.spaces() }, { $0.literal("]") },
                ]
            case .levelPhrase:
                steps = [
                    { $0.keywordLiteral() }, { $0.spaces(minimum: 1) }, { $0.literal("level") }, { $0.spaces() },
                    { $0.literal(":") }, { $0.spaces() }, { $0.level() }, { $0.boundary() },
                ]
            case .percentage:
                steps = [
                    { $0.literal("(") }, { $0.spaces() }, { $0.keywordLiteral() }, { $0.spaces() },
                    { $0.literal(":") }, { $0.spaces() }, { $0.number() }, { $0.spaces() }, { $0.literal("%") },
                    { $0.spaces() }, { $0.literal(")") },
                ]
            }
            for step in steps {
                if case .stop(let match) = step(&self) { return match }
            }
            return .complete(end: self.index, marker: ConfidenceMarker(score: self.score))
        }

        var score = 0.0

        static func lower(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
            (65...90).contains(scalar.value) ? Unicode.Scalar(scalar.value + 32) ?? scalar : scalar
        }

        mutating func literal(_ word: String) -> Step {
            for expected in word.unicodeScalars {
                guard self.index < self.text.count else { return .stop(.partial(keyword: self.keyword)) }
                guard Self.lower(self.text[self.index]) == expected else { return .stop(.mismatch) }
                self.index += 1
            }
            return .next
        }

        mutating func keywordLiteral() -> Step {
            let step = self.literal("confidence")
            if case .next = step { self.keyword = true }
            return step
        }

        mutating func spaces(minimum: Int = 0) -> Step {
            var count = 0
            while self.index < self.text.count, self.text[self.index] == " " || self.text[self.index] == "\t" {
                // A marker never runs over more than a few spaces.
                guard count < 8 else { return .stop(.mismatch) }
                self.index += 1
                count += 1
            }
            if self.index == self.text.count { return .stop(.partial(keyword: self.keyword)) }
            return count >= minimum ? .next : .stop(.mismatch)
        }

        mutating func level() -> Step {
            let levels: [(String, Double)] = [
                ("high", 0.9), ("medium", 0.6), ("low", 0.3), ("very_low", 0.1), ("very low", 0.1), ("very-low", 0.1),
            ]
            var partial = false
            for (word, value) in levels {
                var probe = self
                switch probe.literal(word) {
                case .next:
                    self = probe
                    self.score = value
                    return .next
                case .stop(.partial): partial = true
                case .stop: continue
                }
            }
            return .stop(partial ? .partial(keyword: self.keyword) : .mismatch)
        }

        mutating func boundary() -> Step {
            guard self.index < self.text.count else {
                return self.atEnd ? .next : .stop(.partial(keyword: self.keyword))
            }
            let scalar = self.text[self.index]
            let isWordScalar = scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_"
            return isWordScalar ? .stop(.mismatch) : .next
        }

        mutating func number() -> Step {
            var digits = 0
            var value = 0.0
            while self.index < self.text.count, ("0"..."9").contains(self.text[self.index]) {
                guard digits < 3 else { return .stop(.mismatch) }
                value = value * 10 + Double(self.text[self.index].value - 48)
                digits += 1
                self.index += 1
            }
            if self.index == self.text.count { return .stop(.partial(keyword: self.keyword)) }
            guard digits > 0 else { return .stop(.mismatch) }
            if self.text[self.index] == "." {
                self.index += 1
                var scale = 0.1
                var fractionDigits = 0
                while self.index < self.text.count, ("0"..."9").contains(self.text[self.index]) {
                    guard fractionDigits < 3 else { return .stop(.mismatch) }
                    value += Double(self.text[self.index].value - 48) * scale
                    scale /= 10
                    fractionDigits += 1
                    self.index += 1
                }
                if self.index == self.text.count { return .stop(.partial(keyword: self.keyword)) }
            }
            self.score = min(1, value / 100)
            return .next
        }
    }
}
