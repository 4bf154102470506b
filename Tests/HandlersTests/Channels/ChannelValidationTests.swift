import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("ChannelService bad input", .serialized)
struct ChannelValidationTests {
    typealias Harness = ChannelTestHarness

    /// One bad request: the call (given an existing WhatsApp channel), and the field its error
    /// must name.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var field: String
        var call: @Sendable (ChannelHandler, _ channelID: String, ServerContext) async throws -> Void
        var testDescription: String { self.name }
    }

    static func create(
        _ name: String, _ field: String,
        _ configure: @escaping @Sendable (inout Metachat_V1_CreateChannelRequest) -> Void
    ) -> Case {
        Case(name: name, field: field) { handler, _, context in
            var request = Harness.whatsAppRequest(name: "New")
            configure(&request)
            _ = try await handler.createChannel(request: request, context: context)
        }
    }

    static func update(
        _ name: String, _ field: String,
        _ configure: @escaping @Sendable (inout Metachat_V1_UpdateChannelRequest) -> Void
    ) -> Case {
        Case(name: name, field: field) { handler, channelID, context in
            var request = Metachat_V1_UpdateChannelRequest()
            request.channelID = channelID
            configure(&request)
            _ = try await handler.updateChannel(request: request, context: context)
        }
    }

    static let cases: [Case] = [
        create("name missing", "name") { $0.name = "" },
        create("name too long", "name") { $0.name = String(repeating: "n", count: 101) },
        create("name with a line break", "name") { $0.name = "a\nb" },
        create("no config", "config") { $0.config = nil },
        create("type API", "type") { $0.type = .api },
        create("type not matching the config", "type") { $0.type = .messenger },
        create("unknown type", "type") { $0.type = .UNRECOGNIZED(9) },
        create("phone number id missing", "whatsapp.phoneNumberId") { $0.whatsapp.phoneNumberID = "" },
        create("phone number id not digits", "whatsapp.phoneNumberId") { $0.whatsapp.phoneNumberID = "12a4" },
        create("phone number id too long", "whatsapp.phoneNumberId") {
            $0.whatsapp.phoneNumberID = String(repeating: "1", count: 33)
        },
        create("business account id missing", "whatsapp.businessAccountId") { $0.whatsapp.businessAccountID = "" },
        create("access token missing", "whatsapp.accessToken") { $0.whatsapp.accessToken = "" },
        create("access token with a space", "whatsapp.accessToken") { $0.whatsapp.accessToken = "EAA token" },
        create("access token too long", "whatsapp.accessToken") {
            $0.whatsapp.accessToken = String(repeating: "t", count: 4097)
        },
        create("app secret missing", "whatsapp.appSecret") { $0.whatsapp.appSecret = "" },
        create("verify token too short", "whatsapp.verifyToken") { $0.whatsapp.verifyToken = "short" },
        create("verify token too long", "whatsapp.verifyToken") {
            $0.whatsapp.verifyToken = String(repeating: "v", count: 129)
        },
        create("verify token non-ASCII", "whatsapp.verifyToken") { $0.whatsapp.verifyToken = "vérifier-moi" },
        create("messenger page id not digits", "messenger.pageId") {
            $0 = Harness.messengerRequest()
            $0.messenger.pageID = "page"
        },
        create("messenger page token missing", "messenger.pageAccessToken") {
            $0 = Harness.messengerRequest()
            $0.messenger.pageAccessToken = ""
        },
        create("web chat origin with a path", "webChat.allowedOrigins[1]") {
            $0.webChat.allowedOrigins = ["https://ok.example", "https://ok.example/path"]
        },
        create("web chat origin not http", "webChat.allowedOrigins[0]") {
            $0.webChat.allowedOrigins = ["ftp://x.example"]
        },
        create("web chat too many origins", "webChat.allowedOrigins") {
            $0.webChat.allowedOrigins = (0..<51).map { "https://o\($0).example" }
        },
        create("web chat greeting too long", "webChat.greeting") {
            $0.webChat.greeting = String(repeating: "g", count: 1001)
        },
        Case(name: "get: channelId missing", field: "channelId") { handler, _, context in
            _ = try await handler.getChannel(request: .init(), context: context)
        },
        Case(name: "get: channelId not a UUID", field: "channelId") { handler, _, context in
            var request = Metachat_V1_GetChannelRequest()
            request.channelID = "not-a-uuid"
            _ = try await handler.getChannel(request: request, context: context)
        },
        Case(name: "list: pageSize above 200", field: "pageSize") { handler, _, context in
            var request = Metachat_V1_ListChannelsRequest()
            request.pageSize = 201
            _ = try await handler.listChannels(request: request, context: context)
        },
        Case(name: "list: pageSize negative", field: "pageSize") { handler, _, context in
            var request = Metachat_V1_ListChannelsRequest()
            request.pageSize = -1
            _ = try await handler.listChannels(request: request, context: context)
        },
        Case(name: "list: type API", field: "type") { handler, _, context in
            var request = Metachat_V1_ListChannelsRequest()
            request.type = .api
            _ = try await handler.listChannels(request: request, context: context)
        },
        Case(name: "list: pageToken garbage", field: "pageToken") { handler, _, context in
            var request = Metachat_V1_ListChannelsRequest()
            request.pageToken = "%%%"
            _ = try await handler.listChannels(request: request, context: context)
        },
        update("update: mask names an output-only field", "updateMask") { $0.updateMask.paths = ["callback_url"] },
        update("update: mask names a last-four field", "updateMask") {
            $0.updateMask.paths = ["whatsapp.access_token_last_four"]
        },
        update("update: mask names the type", "updateMask") { $0.updateMask.paths = ["type"] },
        update("update: mask names another config case", "updateMask") {
            $0.channel.messenger.pageID = "1"
            $0.updateMask.paths = ["messenger.page_id"]
        },
        update("update: mask names an unknown field", "updateMask") { $0.updateMask.paths = ["whatsapp.secret"] },
        update("update: empty mask and nothing set", "updateMask") { _ in },
        update("update: empty mask with another config case", "channel.messenger.pageId") {
            $0.channel.messenger.pageID = "1"
        },
        update("update: name empty", "channel.name") { $0.updateMask.paths = ["name"] },
        update("update: access token empty", "channel.whatsapp.accessToken") {
            $0.updateMask.paths = ["whatsapp.access_token"]
        },
        update("update: verify token too short", "channel.whatsapp.verifyToken") {
            $0.channel.whatsapp.verifyToken = "x"
            $0.updateMask.paths = ["whatsapp.verifyToken"]
        },
        update("update: phone number id not digits", "channel.whatsapp.phoneNumberId") {
            $0.channel.whatsapp.phoneNumberID = "+385"
            $0.updateMask.paths = ["whatsapp.phone_number_id"]
        },
        update("update: channelId not a UUID", "channelId") {
            $0.channelID = "x"
            $0.updateMask.paths = ["name"]
        },
        Case(name: "delete: channelId not a UUID", field: "channelId") { handler, _, context in
            var request = Metachat_V1_DeleteChannelRequest()
            request.channelID = "123"
            _ = try await handler.deleteChannel(request: request, context: context)
        },
        Case(name: "test: channelId missing", field: "channelId") { handler, _, context in
            _ = try await handler.testChannelConnection(request: .init(), context: context)
        },
    ]

    /// What the bad requests must leave unchanged: the channel and its stored row.
    static func snapshot(_ h: Harness, _ id: String) async throws -> [String] {
        let channel = try await h.channel(id)
        let rows = try await h.pool.withAdminTransaction { connection in
            try await connection.query("SELECT to_jsonb(c)::text AS row FROM channels c ORDER BY id").map {
                try $0.decode("row", as: String.self)
            }
        }
        return [try channel.jsonString()] + rows
    }

    @Test("Every bad request is INVALID_ARGUMENT naming its field, and changes nothing", arguments: Self.cases)
    func badInput(_ testCase: Case) async throws {
        try await Harness.with { h in
            let channel = try await h.create(Harness.whatsAppRequest())
            let before = try await Self.snapshot(h, channel.id)
            await expectRPCError(.invalidArgument, testCase.field) {
                try await testCase.call(h.handler, channel.id, h.asA)
            }
            #expect(try await Self.snapshot(h, channel.id) == before)
        }
    }

    @Test("A credential never appears in an error message")
    func noSecretInErrors() async throws {
        try await Harness.with { h in
            var request = Harness.whatsAppRequest()
            request.whatsapp.accessToken = "secret value with spaces"
            do {
                _ = try await h.handler.createChannel(request: request, context: h.asA)
                Issue.record("expected INVALID_ARGUMENT")
            } catch let error as RPCError {
                #expect(!error.message.contains("secret value"))
            }
        }
    }
}
