import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("TenantHandler validation", .serialized)
struct TenantValidationTests {
    /// One bad settings value and the field path the error must name.
    struct BadSettings: Sendable, CustomTestStringConvertible {
        var field: String
        var label: String
        var change: @Sendable (inout Metachat_V1_TenantSettings) -> Void

        init(_ field: String, _ label: String, _ change: @escaping @Sendable (inout Metachat_V1_TenantSettings) -> Void)
        {
            self.field = field
            self.label = label
            self.change = change
        }

        var testDescription: String { "\(self.field): \(self.label)" }
    }

    static let badSettings: [BadSettings] = [
        BadSettings("settings.rag.topK", "51") { $0.rag.topK = 51 },
        BadSettings("settings.rag.topK", "-1") { $0.rag.topK = -1 },
        BadSettings("settings.rag.minScore", "1.5") { $0.rag.minScore = 1.5 },
        BadSettings("settings.rag.minScore", "NaN") { $0.rag.minScore = .nan },
        BadSettings("settings.rag.textSearchLanguage", "unknown configuration") {
            $0.rag.textSearchLanguage = "klingon"
        },
        BadSettings("settings.rag.textSearchLanguage", "not a name") { $0.rag.textSearchLanguage = "english; drop" },
        BadSettings("settings.rag.embedding.dimensions", "2001") { $0.rag.embedding.dimensions = 2001 },
        BadSettings("settings.rag.embedding.dimensions", "-1") { $0.rag.embedding.dimensions = -1 },
        BadSettings("settings.rag.embedding.model", "201 characters") {
            $0.rag.embedding.model = String(repeating: "m", count: 201)
        },
        BadSettings("settings.rag.embedding.model", "a line break") { $0.rag.embedding.model = "mini\nlm" },
        BadSettings("settings.rag.embedding.baseUrl", "ftp scheme") {
            $0.rag.embedding.baseURL = "ftp://e.example.com/v1"
        },
        BadSettings("settings.rag.embedding.baseUrl", "user info") {
            $0.rag.embedding.baseURL = "http://user:pw@e.example.com/v1"
        },
        BadSettings("settings.rag.embedding.apiKey", "a space") { $0.rag.embedding.apiKey = "sk-with a-space-1234" },
        BadSettings("settings.rag.embedding.baseUrl", "no scheme") { $0.rag.embedding.baseURL = "example.com/v1" },
        BadSettings("settings.rag.embedding.baseUrl", "missing for a compatible provider") {
            $0.rag.embedding.provider = .openaiCompatible
        },
        BadSettings("settings.rag.embedding.provider", "unknown value") {
            $0.rag.embedding.provider = .UNRECOGNIZED(9)
        },
        BadSettings("settings.rag.embedding.apiKey", "too short") { $0.rag.embedding.apiKey = "abc" },
        BadSettings("settings.llm.temperature", "2.5") { $0.llm.temperature = Google_Protobuf_DoubleValue(2.5) },
        BadSettings("settings.llm.temperature", "-0.1") { $0.llm.temperature = Google_Protobuf_DoubleValue(-0.1) },
        BadSettings("settings.llm.maxTokens", "40000") { $0.llm.maxTokens = 40000 },
        BadSettings("settings.llm.model", "201 characters") { $0.llm.model = String(repeating: "m", count: 201) },
        BadSettings("settings.llm.baseUrl", "ftp scheme") { $0.llm.baseURL = "ftp://models.example.com/v1" },
        BadSettings("settings.llm.baseUrl", "user info") { $0.llm.baseURL = "http://user:pw@example.com/v1" },
        BadSettings("settings.llm.baseUrl", "missing for a compatible provider") {
            $0.llm.provider = .openaiCompatible
        },
        BadSettings("settings.llm.provider", "unknown value") { $0.llm.provider = .UNRECOGNIZED(42) },
        BadSettings("settings.llm.requestTimeout", "0s") {
            $0.llm.requestTimeout = Google_Protobuf_Duration(seconds: 0, nanos: 0)
        },
        BadSettings("settings.llm.requestTimeout", "301s") {
            $0.llm.requestTimeout = Google_Protobuf_Duration(seconds: 301, nanos: 0)
        },
        BadSettings("settings.llm.systemPrompt", "8001 characters") {
            $0.llm.systemPrompt = String(repeating: "p", count: 8001)
        },
        BadSettings("settings.llm.apiKey", "contains a space") { $0.llm.apiKey = "sk-has a-space-1234" },
        BadSettings("settings.escalation.keywords", "101 entries") {
            $0.escalation.keywords = (0...100).map { "word\($0)" }
        },
        BadSettings("settings.escalation.keywords[1]", "empty keyword") { $0.escalation.keywords = ["ok", ""] },
        BadSettings("settings.escalation.confidenceThreshold", "-0.1") { $0.escalation.confidenceThreshold = -0.1 },
        BadSettings("settings.escalation.handoffMessage", "1001 characters") {
            $0.escalation.handoffMessage = String(repeating: "h", count: 1001)
        },
        BadSettings("settings.retention.messageRetentionDays", "3651") { $0.retention.messageRetentionDays = 3651 },
        BadSettings("settings.retention.apiLogRetentionDays", "-1") { $0.retention.apiLogRetentionDays = -1 },
        BadSettings("settings.widget.primaryColor", "a name") { $0.widget.primaryColor = "blue" },
        BadSettings("settings.widget.primaryColor", "non-hex digit") { $0.widget.primaryColor = "#12345G" },
        BadSettings("settings.widget.title", "101 characters") { $0.widget.title = String(repeating: "t", count: 101) },
        BadSettings("settings.widget.title", "control character") { $0.widget.title = "Help\u{7}" },
        BadSettings("settings.widget.allowedOrigins[0]", "origin with a path") {
            $0.widget.allowedOrigins = ["https://shop.example.com/path"]
        },
        BadSettings("settings.widget.allowedOrigins[1]", "javascript scheme") {
            $0.widget.allowedOrigins = ["https://ok.example.com", "javascript:alert(1)"]
        },
        BadSettings("settings.widget.allowedOrigins[0]", "port out of range") {
            $0.widget.allowedOrigins = ["http://localhost:70000"]
        },
        BadSettings("settings.widget.allowedOrigins", "51 entries") {
            $0.widget.allowedOrigins = (0...50).map { "https://s\($0).example.com" }
        },
        BadSettings("settings.rateLimit.requestsPerWindow", "1000001") { $0.rateLimit.requestsPerWindow = 1_000_001 },
        BadSettings("settings.rateLimit.windowSeconds", "3601") { $0.rateLimit.windowSeconds = 3601 },
        BadSettings("settings.rateLimit.windowSeconds", "-5") { $0.rateLimit.windowSeconds = -5 },
    ]

    @Test(
        "A bad settings value is INVALID_ARGUMENT naming its field, on create and on update, and the row stays unchanged",
        arguments: badSettings)
    func badSettingsAreRejected(bad: BadSettings) async throws {
        try await MigratedDatabase.with(maximumConnections: 2) { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let admin = TestCaller.context(TestCaller.superAdmin)
            var create = TenantFixtures.createRequest()
            bad.change(&create.settings)

            let createError = await TenantFixtures.rpcError {
                try await handler.createTenant(request: create, context: admin)
            }
            #expect(createError?.code == .invalidArgument)
            #expect(createError?.message.hasPrefix(bad.field + " ") == true, "\(createError?.message ?? "")")

            let existing = try await TenantFixtures.create(handler)
            var update = Metachat_V1_UpdateTenantRequest()
            update.tenantID = existing.id
            bad.change(&update.tenant.settings)
            let updateError = await TenantFixtures.rpcError {
                try await handler.updateTenant(request: update, context: admin)
            }
            #expect(updateError?.code == .invalidArgument)
            #expect(updateError?.message.hasPrefix(bad.field + " ") == true, "\(updateError?.message ?? "")")

            var get = Metachat_V1_GetTenantRequest()
            get.tenantID = existing.id
            #expect(try await handler.getTenant(request: get, context: admin) == existing)
            let page = try await handler.listTenants(request: Metachat_V1_ListTenantsRequest(), context: admin)
            #expect(page.tenants.map(\.id) == [existing.id])
            for error in [createError, updateError] {
                #expect(error?.message.contains("sk-") == false)
            }
        }
    }

    /// A bad name or metadata value and the field the error must name.
    struct BadField: Sendable, CustomTestStringConvertible {
        var field: String
        var label: String
        var change: @Sendable (inout Metachat_V1_CreateTenantRequest) -> Void

        var testDescription: String { "\(self.field): \(self.label)" }
    }

    @Test(
        "A bad name or metadata is INVALID_ARGUMENT naming the field",
        arguments: [
            BadField(field: "name", label: "blank") { $0.name = "   \n " },
            BadField(field: "name", label: "201 characters") { $0.name = String(repeating: "n", count: 201) },
            BadField(field: "name", label: "NUL") { $0.name = "a\u{0}b" },
            BadField(field: "metadata", label: "key with a space") { $0.metadata = ["bad key": "v"] },
            BadField(field: "metadata", label: "65-character key") {
                $0.metadata = [String(repeating: "k", count: 65): "v"]
            },
            BadField(field: "metadata", label: "33 entries") {
                $0.metadata = Dictionary(uniqueKeysWithValues: (0...32).map { ("k\($0)", "v") })
            },
            BadField(field: "metadata.k", label: "513-character value") {
                $0.metadata = ["k": String(repeating: "v", count: 513)]
            },
        ]
    )
    func badFieldsAreRejected(bad: BadField) async throws {
        try await MigratedDatabase.with(maximumConnections: 2) { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            var create = TenantFixtures.createRequest()
            bad.change(&create)

            let error = await TenantFixtures.rpcError {
                try await handler.createTenant(request: create, context: TestCaller.context(TestCaller.superAdmin))
            }

            #expect(error?.code == .invalidArgument)
            #expect(error?.message.hasPrefix(bad.field + " ") == true, "\(error?.message ?? "")")
        }
    }

    @Test("Unknown, output-only and empty update masks are INVALID_ARGUMENT naming updateMask and the path")
    func badMasks() async throws {
        try await MigratedDatabase.with(maximumConnections: 2) { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let existing = try await TenantFixtures.create(handler)
            let admin = TestCaller.context(TestCaller.superAdmin)

            for (paths, fragment) in [
                (["settings.rag.top_kk"], "settings.rag.top_kk"), (["created_at"], "created_at"),
                (["settings.llm.api_key_last_four"], "output only"), ([String](), "sets no field"),
            ] {
                var update = Metachat_V1_UpdateTenantRequest()
                update.tenantID = existing.id
                update.updateMask.paths = paths
                let error = await TenantFixtures.rpcError {
                    try await handler.updateTenant(request: update, context: admin)
                }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message.hasPrefix("updateMask ") == true)
                #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
            }
        }
    }

    @Test("A mask in lowerCamelCase works like snake_case")
    func camelCaseMask() async throws {
        try await MigratedDatabase.with(maximumConnections: 2) { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let existing = try await TenantFixtures.create(handler)
            var update = Metachat_V1_UpdateTenantRequest()
            update.tenantID = existing.id
            update.tenant.settings.rag.topK = 3
            update.updateMask.paths = ["settings.rag.topK"]

            let updated = try await handler.updateTenant(request: update, context: TestCaller.context(.bootstrap))

            #expect(updated.settings.rag.topK == 3)
        }
    }
}
