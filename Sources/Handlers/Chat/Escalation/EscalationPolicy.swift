package import MetaChatAPI
internal import SwiftProtobuf

/// A tenant's escalation rules (`settings.escalation`) and the decisions they make: the keyword
/// hand-off before the model runs, and the action after an answer (ESCALATION.md, "Actions").
package struct EscalationPolicy: Sendable {
    /// The built-in high-stakes words.
    static let highStakesWords = [
        "medical", "legal", "financial", "health", "diagnosis", "medication", "lawsuit", "investment", "emergency",
    ]
    /// Words that make a message urgent.
    static let urgentWords = ["urgent", "urgently", "asap", "immediately", "emergency", "right now", "right away"]

    /// The built-in hand-off message.
    package static let defaultHandoffMessage =
        "I'm handing this conversation to a member of our team, who will reply here as soon as possible."
    /// The built-in disclaimer.
    package static let defaultDisclaimer =
        "Please note: this information may be incomplete. Please verify it with an expert before relying on it."

    /// Whether automatic escalation is on (keyword hand-off and confidence actions).
    package var enabled: Bool
    /// The hand-off keywords.
    package var keywords: [String]
    /// Extra high-stakes words.
    package var highStakesKeywords: [String]
    /// Below this score: immediate escalation.
    package var immediateThreshold: Double
    /// Below this score: review.
    package var suggestReviewThreshold: Double
    /// Below this score, for a high-stakes question: review.
    package var highStakesThreshold: Double
    /// Levels that always escalate.
    package var alwaysEscalateLevels: Set<Metachat_V1_ConfidenceLevel>
    /// Whether uncertain answers get the disclaimer.
    package var disclaimerEnabled: Bool
    /// The disclaimer.
    package var disclaimer: String
    /// The hand-off message.
    package var handoffMessage: String

    /// The policy of `settings`.
    package init(_ settings: Metachat_V1_EscalationSettings) {
        self.enabled = settings.enabled
        self.keywords = settings.keywords
        self.highStakesKeywords = settings.highStakesKeywords
        let (immediate, review, highStakes): (Double, Double, Double) =
            switch settings.mode {
            case .strict: (0.5, 0.75, 0.85)
            case .lenient: (0.2, 0.4, 0.7)
            default: (0.3, 0.6, 0.8)
            }
        self.immediateThreshold = settings.confidenceThreshold > 0 ? settings.confidenceThreshold : immediate
        self.suggestReviewThreshold = review
        self.highStakesThreshold = highStakes
        let levels = settings.alwaysEscalateLevels.filter { $0 != .unspecified }
        self.alwaysEscalateLevels = levels.isEmpty ? [.veryLow] : Set(levels)
        self.disclaimerEnabled = settings.hasDisclaimerEnabled ? settings.disclaimerEnabled.value : true
        self.disclaimer = settings.disclaimerText.isEmpty ? Self.defaultDisclaimer : settings.disclaimerText
        self.handoffMessage = settings.handoffMessage.isEmpty ? Self.defaultHandoffMessage : settings.handoffMessage
    }

    /// The hand-off keyword in `text`, if escalation is on and one occurs (case-insensitive,
    /// whole words).
    package func handoffKeyword(in text: String) -> String? {
        guard self.enabled else { return nil }
        return PhraseText(text).firstMatch(in: self.keywords)
    }

    /// Whether `question` holds a high-stakes word.
    package func isHighStakes(_ question: String) -> Bool {
        PhraseText(question).firstMatch(in: Self.highStakesWords + self.highStakesKeywords) != nil
    }

    /// What to do with an answer to `question` analysed as `analysis`. With escalation off every
    /// answer is sent as it is (CONTINUE); the analysis is still stored.
    package func action(for analysis: ConfidenceAnalysis, question: String) -> Metachat_V1_EscalationAction {
        guard self.enabled else { return .continue }
        if self.alwaysEscalateLevels.contains(analysis.level) { return .immediateEscalation }
        if analysis.score < self.immediateThreshold { return .immediateEscalation }
        let reviewBelow =
            self.isHighStakes(question)
            ? max(self.suggestReviewThreshold, self.highStakesThreshold)
            : self.suggestReviewThreshold
        if analysis.score < reviewBelow {
            return PhraseText(question).firstMatch(in: Self.urgentWords) != nil ? .sendWithDisclaimer : .suggestReview
        }
        if analysis.level == .medium, self.disclaimerEnabled { return .sendWithDisclaimer }
        return .continue
    }
}
