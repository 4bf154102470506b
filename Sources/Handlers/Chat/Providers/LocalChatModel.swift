/// The offline default: answers extractively from the retrieved passages, with no network and
/// no randomness.
///
/// The question's content words (lowercased letters and digits, common English function words
/// left out) are matched against every sentence of every passage; the up to three sentences that
/// share the largest part of them answer, best first, each followed by its source number
/// (`[2]`). The answer ends with a confidence marker from the best sentence's share (at least
/// 0.6 high, 0.3 medium, else low). Without a matching sentence it says it has no information
/// (`very_low`). Text is streamed word by word; usage is zero.
package struct LocalChatModel: ChatModel {
    /// The model name answers are stored with.
    package static let modelName = "local-extractive"

    /// The answer when no passage matches.
    package static let noInformation = "I don't have information about that in the knowledge base."

    /// Creates the model.
    package init() {}

    package var endpointDescription: String { "local" }

    private static let stopWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "by", "can", "could", "did", "do", "does", "for", "from", "had",
        "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our", "please",
        "should", "so", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "to", "was",
        "we", "were", "what", "when", "where", "which", "who", "why", "will", "with", "would", "you", "your",
    ]

    /// The content words of `text`.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for scalar in text.lowercased().unicodeScalars {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words.filter { !Self.stopWords.contains($0) }
    }

    /// The sentences of `text`: split after `.`, `!` or `?` followed by whitespace, and at line
    /// breaks; trimmed, empty ones left out.
    static func sentences(_ text: String) -> [String] {
        var sentences: [String] = []
        var current = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            if scalar == "\n" || scalar == "\r" {
                sentences.append(String(current))
                current = String.UnicodeScalarView()
                continue
            }
            current.append(scalar)
            if scalar == "." || scalar == "!" || scalar == "?",
                index + 1 == scalars.count || scalars[index + 1].properties.isWhitespace
            {
                sentences.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        sentences.append(String(current))
        return sentences.map { $0.trimmingWhitespace }.filter { !$0.isEmpty }
    }

    /// The answer text (with its marker) for `request`.
    static func answer(_ request: ChatModelRequest) -> String {
        let question = Set(Self.words(request.question))
        guard !question.isEmpty else { return Self.noInformation + " [confidence: very_low]" }
        var scored: [(score: Double, order: Int, text: String, source: Int)] = []
        var order = 0
        for source in request.sources {
            for sentence in Self.sentences(source.text) {
                let shared = question.intersection(Self.words(sentence)).count
                if shared > 0 {
                    scored.append((Double(shared) / Double(question.count), order, sentence, source.number))
                }
                order += 1
            }
        }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.order < $1.order }
        guard let best = scored.first else { return Self.noInformation + " [confidence: very_low]" }
        var seen: Set<String> = []
        var parts: [String] = []
        for candidate in scored where parts.count < 3 && seen.insert(candidate.text).inserted {
            parts.append("\(candidate.text) [\(candidate.source)]")
        }
        let level = best.score >= 0.6 ? "high" : best.score >= 0.3 ? "medium" : "low"
        return parts.joined(separator: " ") + " [confidence: \(level)]"
    }

    package func generate(_ request: ChatModelRequest, onText: (String) async throws -> Void) async throws
        -> ChatModelResult
    {
        let text = Self.answer(request)
        // Word by word, each piece with the space before the next word.
        var piece = ""
        for character in text {
            piece.append(character)
            if character == " " {
                try Task.checkCancellation()
                try await onText(piece)
                piece = ""
            }
        }
        if !piece.isEmpty { try await onText(piece) }
        return ChatModelResult(model: Self.modelName, promptTokens: 0, completionTokens: 0, finishReason: "stop")
    }
}
