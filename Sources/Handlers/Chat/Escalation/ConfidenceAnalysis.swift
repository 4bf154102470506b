package import ChatStreams
package import MetaChatAPI

/// The confidence score of one answer (ESCALATION.md, "Signals and score"): the weighted mean of
/// the signals present — the model's self-assessment (0.5, only with a marker), hedging (0.25)
/// and response quality (0.15) — with the weights renormalised, and its level.
package struct ConfidenceAnalysis: Sendable, Hashable {
    /// The score, 0...1.
    package var score: Double
    /// Its level.
    package var level: Metachat_V1_ConfidenceLevel
    /// The self-assessment from the marker, if there was one.
    package var selfAssessment: Double?
    /// The hedging signal, 1 − severity.
    package var hedging: Double
    /// The response-quality signal.
    package var quality: Double

    static let hedgePhrases = [
        "i'm not sure", "i am not sure", "not sure", "i'm not certain", "i am not certain", "not certain",
        "might be", "may be", "could be", "possibly", "perhaps", "i think", "i believe", "it seems", "it appears",
        "probably", "likely", "consult with", "check with", "you may want to", "you might want to", "i don't know",
        "i do not know", "hard to say", "difficult to say", "as far as i know", "to my knowledge", "i guess",
        "i cannot confirm", "i can't confirm", "approximately",
    ]
    static let confidentPhrases = [
        "definitely", "certainly", "absolutely", "without a doubt", "clearly", "guaranteed", "confirmed",
        "exactly", "precisely",
    ]
    static let deflectionPhrases = [
        "i can't help", "i cannot help", "i'm unable to", "i am unable to", "i don't have information",
        "i do not have information", "i can't answer", "i cannot answer", "contact support",
        "outside my knowledge", "i don't have any information",
    ]
    static let dependsPhrases = ["it depends", "depends on", "varies", "vary", "unclear"]
    static let vagueWords = [
        "some", "various", "several", "many", "things", "stuff", "etc", "generally", "usually", "often", "sometimes",
    ]
    static let dateWords = [
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
        "march", "april", "june", "july", "august", "september", "october", "november", "december", "today",
        "tomorrow", "yesterday",
    ]
    static let questionWords = [
        "what", "how", "why", "when", "where", "which", "who", "can", "is", "are", "does", "do",
    ]

    /// Analyses `answer` (already without its marker) to `question`.
    ///
    /// - Parameters:
    ///   - question: The user's message.
    ///   - answer: The answer as the user would see it.
    ///   - marker: The self-assessment marker the model ended with, if any.
    package static func analyze(question: String, answer: String, marker: ConfidenceMarker?) -> ConfidenceAnalysis {
        let text = PhraseText(answer)
        let asked = PhraseText(question)
        let hedges = Self.hedgePhrases.reduce(0) { $0 + text.count($1) }
        let confident = Self.confidentPhrases.reduce(0) { $0 + text.count($1) }
        let severity = max(0, min(Double(hedges) / 3, 1) - 0.5 * min(Double(confident) / 2, 1))
        let hedging = 1 - severity

        let length: Double =
            asked.wordCount > 10 && text.wordCount < 15 ? 0.3 : text.wordCount > 500 ? 0.6 : 0.9
        let asksSomething =
            question.contains("?") || Self.questionWords.contains { asked.padded.hasPrefix(" " + $0 + " ") }
        let completeness: Double =
            Self.deflectionPhrases.contains(where: text.contains)
            ? 0.2 : asksSomething && Self.dependsPhrases.contains(where: text.contains) ? 0.5 : 0.8
        let specific =
            answer.unicodeScalars.contains { ("0"..."9").contains($0) } || Self.dateWords.contains(where: text.contains)
        let vague = Self.vagueWords.contains(where: text.contains)
        let specificity = min(1, max(0.2, 0.5 + (specific ? 0.2 : 0) - (vague ? 0.1 : 0)))
        let quality = (length + completeness + specificity) / 3

        var weighted = 0.25 * hedging + 0.15 * quality
        var weights = 0.4
        if let marker {
            weighted += 0.5 * marker.score
            weights += 0.5
        }
        let score = min(1, max(0, weighted / weights))
        return ConfidenceAnalysis(
            score: score, level: Self.level(score), selfAssessment: marker?.score, hedging: hedging, quality: quality)
    }

    /// The level of `score`: at least 0.8 HIGH, 0.6 MEDIUM, 0.4 LOW, else VERY_LOW.
    package static func level(_ score: Double) -> Metachat_V1_ConfidenceLevel {
        score >= 0.8 ? .high : score >= 0.6 ? .medium : score >= 0.4 ? .low : .veryLow
    }
}
