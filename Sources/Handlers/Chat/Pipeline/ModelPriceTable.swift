/// What the operator pays per model (`LLM_PRICES`), so usage can be answered in money as well as
/// tokens.
///
/// The text is a comma-separated list of `[provider:]model=input/output`, prices in US dollars per
/// million tokens, e.g. `openai:gpt-4o-mini=0.15/0.60,anthropic:claude-3-5-haiku*=0.80/4.00`.
/// A model ending in `*` prices every model starting with the rest; without a provider the entry
/// prices that model from any provider. The most specific entry wins: an exact model before a
/// prefix (the longest first), a named provider before any provider. Prices are decimals with at
/// most 6 fraction digits, from 0 to 1,000 dollars per million tokens.
///
/// Cost is computed when an answer is stored and kept with its usage: a later price change never
/// rewrites what was already spent. Answers of a model the table does not price are counted as
/// unpriced instead of costing 0 silently.
package struct ModelPriceTable: Sendable, Hashable {
    /// A price in pico-dollars (10⁻¹² USD) per token, which equals micro-dollars per million tokens:
    /// exact for 6 fraction digits of dollars per million.
    package struct Price: Sendable, Hashable {
        /// Per prompt token.
        package var inputPicoUSDPerToken: Int64
        /// Per completion token.
        package var outputPicoUSDPerToken: Int64
    }

    /// Why a price list was refused.
    package struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong, naming the entry.
        package var description: String
    }

    private struct Entry: Sendable, Hashable {
        var provider: String?
        var model: String
        var isPrefix: Bool
        var price: Price
    }

    /// The highest price accepted, in dollars per million tokens.
    package static let maximumDollarsPerMillion = 1_000
    /// The most entries a list may have.
    package static let maximumEntries = 500

    private let entries: [Entry]

    /// An empty table: every answer is unpriced.
    package static let none = ModelPriceTable(entries: [])

    private init(entries: [Entry]) {
        self.entries = entries
    }

    /// Reads a price list.
    ///
    /// - Parameter text: The list; empty for none.
    /// - Throws: ``Invalid`` naming the entry and what is wrong.
    package init(_ text: String) throws(Invalid) {
        guard text.utf8.count <= 65_536 else { throw Invalid(description: "is longer than 65536 characters") }
        var entries: [Entry] = []
        for raw in text.split(separator: ",") {
            guard let first = raw.firstIndex(where: { $0 != " " }), let last = raw.lastIndex(where: { $0 != " " })
            else { continue }
            guard entries.count < Self.maximumEntries else {
                throw Invalid(description: "has more than \(Self.maximumEntries) entries")
            }
            entries.append(try Self.entry(String(raw[first...last])))
        }
        var seen = Set<String>()
        for entry in entries {
            let key = "\(entry.provider ?? "*")\u{0}\(entry.model)\u{0}\(entry.isPrefix)"
            guard seen.insert(key).inserted else {
                throw Invalid(description: "prices '\(Self.name(entry))' twice")
            }
        }
        self.entries = entries
    }

    /// The price of `model` from `provider`; `nil` when no entry matches.
    ///
    /// - Parameters:
    ///   - provider: The stored provider name (`openai`, `openai_compatible`, `anthropic`, `local`).
    ///   - model: The model as the provider reported it.
    package func price(provider: String, model: String) -> Price? {
        var best: (rank: (Int, Int, Int), price: Price)?
        for entry in self.entries {
            if let named = entry.provider, named != provider { continue }
            let matches = entry.isPrefix ? model.hasPrefix(entry.model) : model == entry.model
            guard matches else { continue }
            let rank = (entry.isPrefix ? 0 : 1, entry.model.utf8.count, entry.provider == nil ? 0 : 1)
            if let current = best, current.rank >= rank { continue }
            best = (rank, entry.price)
        }
        return best?.price
    }

    /// What an answer cost in nano-dollars (10⁻⁹ USD), rounded half up; `nil` when the model is not
    /// priced. Token counts below zero count as zero; the result saturates instead of overflowing.
    package func costNanoUSD(provider: String, model: String, promptTokens: Int, completionTokens: Int) -> Int64? {
        guard let price = self.price(provider: provider, model: model) else { return nil }
        let prompt = Self.picoUSD(tokens: promptTokens, price.inputPicoUSDPerToken)
        let completion = Self.picoUSD(tokens: completionTokens, price.outputPicoUSDPerToken)
        let (total, overflow) = prompt.addingReportingOverflow(completion)
        let pico = overflow ? Int64.max : total
        return pico / 1000 + (pico % 1000 >= 500 ? 1 : 0)
    }

    private static func picoUSD(tokens: Int, _ perToken: Int64) -> Int64 {
        let count = Int64(clamping: max(0, tokens))
        let (product, overflow) = count.multipliedReportingOverflow(by: perToken)
        return overflow ? Int64.max : product
    }

    private static func name(_ entry: Entry) -> String {
        (entry.provider.map { $0 + ":" } ?? "") + entry.model + (entry.isPrefix ? "*" : "")
    }

    private static func entry(_ text: String) throws(Invalid) -> Entry {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw Invalid(description: "entry '\(text)' must be [provider:]model=input/output")
        }
        var name = Substring(parts[0])
        var provider: String?
        if let colon = name.firstIndex(of: ":") {
            let named = String(name[..<colon])
            guard Self.providers.contains(named) else {
                throw Invalid(
                    description:
                        "entry '\(text)' names provider '\(named)', not one of \(Self.providers.sorted().joined(separator: ", "))"
                )
            }
            provider = named
            name = name[name.index(after: colon)...]
        }
        let isPrefix = name.hasSuffix("*")
        if isPrefix { name = name.dropLast() }
        guard !name.isEmpty || isPrefix, name.utf8.count <= 200,
            name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && $0 != "*" && $0 != "=" })
        else {
            throw Invalid(
                description:
                    "entry '\(text)' needs a model name of 1 to 200 visible characters (a trailing * for a prefix)")
        }
        let prices = parts[1].split(separator: "/", omittingEmptySubsequences: false)
        guard prices.count == 2, let input = Self.picoPerToken(prices[0]), let output = Self.picoPerToken(prices[1])
        else {
            throw Invalid(
                description:
                    "entry '\(text)' needs input/output prices in dollars per million tokens, decimals from 0 to \(Self.maximumDollarsPerMillion) with at most 6 fraction digits"
            )
        }
        return Entry(
            provider: provider, model: String(name), isPrefix: isPrefix,
            price: Price(inputPicoUSDPerToken: input, outputPicoUSDPerToken: output))
    }

    /// The providers usage is recorded under.
    private static let providers: Set<String> = ["local", "openai", "openai_compatible", "anthropic"]

    /// Dollars per million tokens (`0.15`, `3`, `12.5`) as pico-dollars per token, exactly; `nil`
    /// for anything else.
    private static func picoPerToken(_ text: Substring) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !whole.isEmpty, whole.utf8.count <= 4, whole.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            parts.count == 1 || (!fraction.isEmpty && fraction.utf8.count <= 6),
            fraction.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let dollars = Int64(whole), dollars <= Int64(Self.maximumDollarsPerMillion)
        else { return nil }
        let micro = Int64(fraction + String(repeating: "0", count: 6 - fraction.utf8.count)) ?? 0
        let value = dollars * 1_000_000 + micro
        guard value <= Int64(Self.maximumDollarsPerMillion) * 1_000_000 else { return nil }
        return value
    }
}
