import Handlers
import Testing

@Suite("LLM_PRICES")
struct ModelPriceTableTests {
    @Test("Prices are dollars per million tokens, read exactly; cost is in nano-dollars, rounded half up")
    func cost() throws {
        let table = try ModelPriceTable("openai:gpt-4o-mini=0.15/0.60, anthropic:claude-3-5-haiku*=0.8/4")
        let mini = try #require(table.price(provider: "openai", model: "gpt-4o-mini"))
        #expect(mini.inputPicoUSDPerToken == 150_000 && mini.outputPicoUSDPerToken == 600_000)
        // 1,000 prompt tokens at $0.15/M = $0.00015; 500 completion at $0.60/M = $0.0003.
        #expect(
            table.costNanoUSD(provider: "openai", model: "gpt-4o-mini", promptTokens: 1000, completionTokens: 500)
                == 450_000)
        // One prompt token at $0.15/M is 150 nano-dollars.
        #expect(
            table.costNanoUSD(provider: "openai", model: "gpt-4o-mini", promptTokens: 1, completionTokens: 0) == 150)
        // At $0.000123/M a token is 0.123 nano-dollars: one rounds to 0, five (0.615) to 1.
        let tiny = try ModelPriceTable("tiny=0.000123/0")
        #expect(tiny.costNanoUSD(provider: "local", model: "tiny", promptTokens: 1, completionTokens: 0) == 0)
        #expect(tiny.costNanoUSD(provider: "local", model: "tiny", promptTokens: 5, completionTokens: 0) == 1)
        #expect(
            table.costNanoUSD(
                provider: "anthropic", model: "claude-3-5-haiku-20241022", promptTokens: 1_000_000,
                completionTokens: 1_000_000) == 4_800_000_000)
        #expect(table.costNanoUSD(provider: "openai", model: "gpt-4o", promptTokens: 1, completionTokens: 1) == nil)
        #expect(table.costNanoUSD(provider: "local", model: "gpt-4o-mini", promptTokens: 1, completionTokens: 1) == nil)
        #expect(
            ModelPriceTable.none.costNanoUSD(provider: "openai", model: "m", promptTokens: 1, completionTokens: 1)
                == nil)
    }

    @Test("The most specific entry wins: exact before prefix, longer prefix first, named provider before any")
    func precedence() throws {
        let table = try ModelPriceTable(
            "gpt-*=1/1, gpt-4o*=2/2, openai:gpt-4o*=3/3, gpt-4o-mini=4/4, *=9/9, openai:gpt-4o-mini=5/5")
        func input(_ provider: String, _ model: String) -> Int64? {
            table.price(provider: provider, model: model)?.inputPicoUSDPerToken
        }
        #expect(input("openai", "gpt-4o-mini") == 5_000_000)
        #expect(input("openai_compatible", "gpt-4o-mini") == 4_000_000)
        #expect(input("openai", "gpt-4o-2024") == 3_000_000)
        #expect(input("anthropic", "gpt-4o-2024") == 2_000_000)
        #expect(input("anthropic", "gpt-3.5") == 1_000_000)
        #expect(input("local", "local-extractive") == 9_000_000)
    }

    @Test("Huge token counts saturate instead of overflowing; negative counts are zero")
    func bounds() throws {
        let table = try ModelPriceTable("m=1000/1000")
        #expect(
            table.costNanoUSD(provider: "openai", model: "m", promptTokens: Int.max, completionTokens: Int.max)
                == Int64.max / 1000 + 1)
        #expect(table.costNanoUSD(provider: "openai", model: "m", promptTokens: -5, completionTokens: 0) == 0)
        #expect(try ModelPriceTable("") == .none && ModelPriceTable(" , ,") == .none)
    }

    @Test(
        "A bad list is refused naming the entry and what is wrong",
        arguments: [
            ("gpt", "must be [provider:]model=input/output"),
            ("azure:gpt=1/1", "names provider 'azure'"),
            ("=1/1", "needs a model name"),
            ("gpt=1", "needs input/output prices"),
            ("gpt=1/1/1", "needs input/output prices"),
            ("gpt=-1/1", "needs input/output prices"),
            ("gpt=1.1234567/1", "needs input/output prices"),
            ("gpt=1001/1", "needs input/output prices"),
            ("gpt=1./1", "needs input/output prices"),
            ("gpt=.5/1", "needs input/output prices"),
            ("gpt=1e3/1", "needs input/output prices"),
            ("gpt=99999999999999999999/1", "needs input/output prices"),
            ("g pt=1/1", "needs a model name"),
            ("g*pt=1/1", "needs a model name"),
            ("gpt=1/1,gpt=2/2", "prices 'gpt' twice"),
        ])
    func refused(text: String, problem: String) {
        do {
            _ = try ModelPriceTable(text)
            Issue.record("\(text) must be refused")
        } catch {
            #expect(error.description.contains(problem), "\(error.description)")
        }
    }
}
