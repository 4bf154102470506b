import MetaChatAPI
import RPCServer
import SwiftProtobuf
import Testing

@testable import Handlers

@Suite("TenantUpdateMask")
struct TenantUpdateMaskTests {
    @Test("An empty mask names exactly the leaves of the body that hold non-default values")
    func inferredMask() throws {
        var body = Metachat_V1_Tenant()
        body.settings.rag.topK = 7
        body.settings.llm.temperature = .init(0)
        body.settings.widget.allowedOrigins = ["https://a.example"]

        let mask = try TenantUpdateMask(mask: [], body: body)

        #expect(
            Set(mask.paths) == ["settings.rag.top_k", "settings.llm.temperature", "settings.widget.allowed_origins"])
    }

    @Test("A write-only key is set by any covering path, cleared only by its own path, kept otherwise")
    func secretChanges() throws {
        let body = Metachat_V1_Tenant()
        let key = "settings.llm.api_key"
        let named = try TenantUpdateMask(mask: [key], body: body)
        let parent = try TenantUpdateMask(mask: ["settings.llm"], body: body)
        let unrelated = try TenantUpdateMask(mask: ["name"], body: body)

        #expect(named.secretChange(at: key, value: "") == .clear)
        #expect(named.secretChange(at: key, value: "sk-12345678") == .set("sk-12345678"))
        #expect(parent.secretChange(at: key, value: "") == .keep)
        #expect(parent.secretChange(at: key, value: "sk-12345678") == .set("sk-12345678"))
        #expect(unrelated.secretChange(at: key, value: "sk-12345678") == .keep)
    }

    @Test("Applying a mask copies only the named fields; a message path replaces the whole sub-message")
    func applyCopiesNamedFields() throws {
        var stored = Metachat_V1_Tenant()
        stored.name = "Old"
        stored.settings.llm.model = "old-model"
        stored.settings.llm.maxTokens = 100
        var body = Metachat_V1_Tenant()
        body.name = "New"
        body.settings.llm.model = "new-model"

        for entry in try TenantUpdateMask(mask: ["settings.llm"], body: body).entries {
            entry.apply(&stored, body)
        }

        #expect(stored.name == "Old")
        #expect(stored.settings.llm.model == "new-model")
        #expect(stored.settings.llm.maxTokens == 0)
    }

    @Test(
        "Origins and base URLs accept http(s) with host and port and refuse the rest",
        arguments: [
            ("https://example.com", true, true), ("http://localhost:3000", true, true),
            ("http://[::1]:8080", true, true), ("https://example.com/v1", false, true),
            ("https://example.com?x=1", false, true), ("ftp://example.com", false, false),
            ("https://", false, false), ("https://user@example.com", false, false),
            ("https://example.com:0", false, false), ("https://exa mple.com", false, false),
            ("https://-bad-.example", false, false),
        ]
    )
    func urlShapes(text: String, isOrigin: Bool, isBaseURL: Bool) {
        let originError = Self.error { try TenantTextRules.checkOrigin(text, field: "o") }
        let urlError = Self.error { try TenantTextRules.checkHTTPURL(text, field: "u", maximum: 2048) }

        #expect((originError == nil) == isOrigin)
        #expect((urlError == nil) == isBaseURL)
    }

    private static func error(_ body: () throws -> Void) -> RPCError? {
        do {
            try body()
            return nil
        } catch {
            return error as? RPCError
        }
    }
}
