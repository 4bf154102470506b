/// A provider-independent token estimate: about four characters per token, the usual figure
/// for English with GPT and Claude tokenizers. Used for prompt budgets and when a provider
/// reports no usage (the LOCAL provider never does).
package enum TokenEstimate {
    /// Tokens of `text`.
    package static func tokens(_ text: String) -> Int {
        self.tokens(characters: text.unicodeScalars.count)
    }

    /// Tokens of a text of `characters` Unicode scalars.
    package static func tokens(characters: Int) -> Int {
        characters <= 0 ? 0 : (characters + 3) / 4
    }
}
