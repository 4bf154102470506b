import ChatStreams
import Handlers
import MetaChatAPI
import SwiftProtobuf
import Testing

/// The confidence score and the escalation actions of ESCALATION.md, reached with crafted
/// answers.
@Suite("Confidence analysis and escalation actions")
struct EscalationPolicyTests {
    static func policy(_ configure: (inout Metachat_V1_EscalationSettings) -> Void = { _ in }) -> EscalationPolicy {
        var settings = Metachat_V1_EscalationSettings()
        settings.enabled = true
        configure(&settings)
        return EscalationPolicy(settings)
    }

    static func analyze(_ answer: String, question: String = "When do you open?") -> ConfidenceAnalysis {
        let (text, marker) = ConfidenceMarkerFilter.strip(answer)
        return ConfidenceAnalysis.analyze(question: question, answer: text, marker: marker)
    }

    @Test("Levels follow the score: 0.8, 0.6, 0.4")
    func levels() {
        #expect(ConfidenceAnalysis.level(0.8) == .high)
        #expect(ConfidenceAnalysis.level(0.79) == .medium)
        #expect(ConfidenceAnalysis.level(0.6) == .medium)
        #expect(ConfidenceAnalysis.level(0.4) == .low)
        #expect(ConfidenceAnalysis.level(0.39) == .veryLow)
    }

    @Test("The score is the renormalised weighted mean of the signals present")
    func weightedMean() {
        // No hedges, no confidence words: hedging 1. Quality: length 0.9, completeness 0.8,
        // specificity 0.7 (a number) → 0.8. With high (0.9): (0.45 + 0.25 + 0.12) / 0.9.
        let analysis = Self.analyze("We open at 9 on weekdays. [confidence: high]")
        #expect(abs(analysis.quality - 0.8) < 1e-9)
        #expect(abs(analysis.score - (0.5 * 0.9 + 0.25 + 0.15 * 0.8) / 0.9) < 1e-9)
        // Without a marker: (0.25 + 0.12) / 0.4.
        let unmarked = Self.analyze("We open at 9 on weekdays.")
        #expect(unmarked.selfAssessment == nil)
        #expect(abs(unmarked.score - (0.25 + 0.15 * 0.8) / 0.4) < 1e-9)
    }

    @Test("Hedges lower the score; confident words offset them")
    func hedging() {
        let hedged = Self.analyze("I'm not sure, it might be 9, I think. [confidence: high]")
        #expect(hedged.hedging == 0)
        let offset = Self.analyze("I think it might be 9, definitely, certainly. [confidence: high]")
        #expect(abs(offset.hedging - (1 - (2.0 / 3 - 0.5))) < 1e-9)
    }

    @Test("A confident answer continues")
    func continues() {
        let analysis = Self.analyze("We open at 9 on weekdays. [confidence: high]")
        #expect(Self.policy().action(for: analysis, question: "When do you open?") == .continue)
    }

    @Test("A MEDIUM answer gets the disclaimer (unless disclaimers are off)")
    func disclaimer() {
        let analysis = Self.analyze("We open at 9 on weekdays. [confidence: medium]")
        #expect(analysis.level == .medium)
        #expect(Self.policy().action(for: analysis, question: "When do you open?") == .sendWithDisclaimer)
        let off = Self.policy { $0.disclaimerEnabled = Google_Protobuf_BoolValue(false) }
        #expect(off.action(for: analysis, question: "When do you open?") == .continue)
    }

    @Test("Below the review threshold: SUGGEST_REVIEW, or SEND_WITH_DISCLAIMER when the message is urgent")
    func suggestReview() {
        let analysis = Self.analyze("We open at 9, I think. [confidence: low]")
        #expect(analysis.score >= 0.4 && analysis.score < 0.6, "score \(analysis.score)")
        #expect(analysis.level == .low)
        #expect(Self.policy().action(for: analysis, question: "When do you open?") == .suggestReview)
        #expect(
            Self.policy().action(for: analysis, question: "When do you open? It's urgent") == .sendWithDisclaimer)
    }

    @Test("VERY_LOW always escalates immediately; so does a score below the immediate threshold")
    func immediate() {
        let veryLow = Self.analyze("I don't know. [confidence: very_low]")
        #expect(veryLow.level == .veryLow)
        #expect(Self.policy().action(for: veryLow, question: "When do you open?") == .immediateEscalation)
        let strict = Self.policy { $0.mode = .strict }
        let medium = Self.analyze("It might be 9. [confidence: medium]")
        #expect(medium.score < 0.75)
        #expect(strict.action(for: medium, question: "When do you open?") != .continue)
    }

    @Test("A high-stakes question is judged against the higher threshold")
    func highStakes() {
        let analysis = Self.analyze("Take 200 mg twice a day. [confidence: medium]")
        #expect(analysis.score >= 0.6 && analysis.score < 0.8, "score \(analysis.score)")
        #expect(Self.policy().action(for: analysis, question: "What medication dose?") == .suggestReview)
        #expect(Self.policy().isHighStakes("a question about my Lawsuit"))
        let custom = Self.policy { $0.highStakesKeywords = ["refund"] }
        #expect(custom.action(for: analysis, question: "Can I get a refund?") == .suggestReview)
    }

    @Test("With escalation off every answer continues")
    func disabled() {
        let analysis = Self.analyze("I don't know. [confidence: very_low]")
        let off = EscalationPolicy(Metachat_V1_EscalationSettings())
        #expect(off.action(for: analysis, question: "?") == .continue)
        #expect(off.handoffKeyword(in: "human please") == nil)
    }

    @Test("Hand-off keywords match whole words, case-insensitively")
    func keywords() {
        let policy = Self.policy { $0.keywords = ["human", "talk to agent"] }
        #expect(policy.handoffKeyword(in: "I want a HUMAN now") == "human")
        #expect(policy.handoffKeyword(in: "Can I talk to   agent?") == "talk to agent")
        #expect(policy.handoffKeyword(in: "humane treatment") == nil)
    }
}
