import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("ChannelService", .serialized)
struct ChannelServiceTests {
    typealias Harness = ChannelTestHarness

    @Test("A WhatsApp channel stores its credentials sealed and answers only their last four characters")
    func createWhatsApp() async throws {
        try await Harness.with { h in
            let channel = try await h.create(Harness.whatsAppRequest())
            #expect(channel.type == .whatsapp)
            #expect(channel.enabled)
            #expect(channel.tenantID == h.tenantA)
            #expect(channel.whatsapp.phoneNumberID == "1065550001")
            #expect(channel.whatsapp.accessToken.isEmpty && channel.whatsapp.appSecret.isEmpty)
            #expect(channel.whatsapp.verifyToken.isEmpty)
            #expect(channel.whatsapp.accessTokenLastFour == "WXYZ")
            #expect(channel.whatsapp.appSecretLastFour == "cdef")
            #expect(channel.whatsapp.verifyTokenLastFour == "ease")
            #expect(channel.callbackURL == "https://chat.example.com/api/channels/\(channel.id)/callback")
            let stored = try await h.storedCredentials(channel.id)
            #expect(stored.count == 3)
            for value in stored {
                let text = try #require(value)
                #expect(text.hasPrefix("mcs1:"))
                #expect(!text.contains("access-token") && !text.contains("app-secret") && !text.contains("verify-me"))
            }
            let json = try channel.jsonString()
            #expect(!json.contains("EAAG-access-token") && !json.contains("app-secret-0123"))
        }
    }

    @Test("A web chat channel gets a widget id and no callback URL; a Messenger channel gets one")
    func createWebChatAndMessenger() async throws {
        try await Harness.with { h in
            var request = Metachat_V1_CreateChannelRequest()
            request.name = "Website"
            request.webChat.allowedOrigins = ["https://shop.example", "https://shop.example", "http://localhost:8080"]
            request.webChat.greeting = "Hello! How can we help?"
            let web = try await h.create(request)
            #expect(web.type == .webChat)
            #expect(web.webChat.widgetID.hasPrefix("wgt_") && web.webChat.widgetID.count == 28)
            #expect(web.webChat.allowedOrigins == ["https://shop.example", "http://localhost:8080"])
            #expect(web.webChat.greeting == "Hello! How can we help?")
            #expect(web.callbackURL.isEmpty)
            let messenger = try await h.create(Harness.messengerRequest())
            #expect(messenger.type == .messenger)
            #expect(messenger.messenger.pageAccessTokenLastFour == "PAGE")
            #expect(messenger.callbackURL.hasSuffix("/api/channels/\(messenger.id)/callback"))
        }
    }

    @Test("Get, list with filters and pages, update and delete; another tenant's channel is NOT_FOUND")
    func lifecycle() async throws {
        try await Harness.with { h in
            let whatsApp = try await h.create(Harness.whatsAppRequest())
            var disabled = Harness.messengerRequest()
            disabled.enabled = Google_Protobuf_BoolValue(false)
            let messenger = try await h.create(disabled)
            _ = try await h.create(Harness.whatsAppRequest(name: "Other tenant"), context: h.asB)

            #expect(try await h.channel(whatsApp.id) == whatsApp)
            await expectRPCError(.notFound, "was not found") { try await h.channel(whatsApp.id, context: h.asB) }

            var list = Metachat_V1_ListChannelsRequest()
            list.pageSize = 1
            let first = try await h.handler.listChannels(request: list, context: h.asA)
            #expect(first.channels.map(\.id) == [messenger.id])
            list.pageToken = first.nextPageToken
            let second = try await h.handler.listChannels(request: list, context: h.asA)
            #expect(second.channels.map(\.id) == [whatsApp.id])
            #expect(second.nextPageToken.isEmpty)
            var filtered = Metachat_V1_ListChannelsRequest()
            filtered.enabled = Google_Protobuf_BoolValue(true)
            #expect(
                try await h.handler.listChannels(request: filtered, context: h.asA).channels.map(\.id) == [whatsApp.id])
            filtered = Metachat_V1_ListChannelsRequest()
            filtered.type = .messenger
            #expect(
                try await h.handler.listChannels(request: filtered, context: h.asA).channels.map(\.id) == [messenger.id]
            )

            var update = Metachat_V1_UpdateChannelRequest()
            update.channelID = whatsApp.id
            update.channel.name = "Renamed"
            update.channel.whatsapp.accessToken = "new-token-9876"
            update.updateMask.paths = ["name", "whatsapp.accessToken"]
            let before = try await h.storedCredentials(whatsApp.id)
            let updated = try await h.handler.updateChannel(request: update, context: h.asA)
            #expect(updated.name == "Renamed")
            #expect(updated.whatsapp.accessTokenLastFour == "9876")
            #expect(updated.whatsapp.appSecretLastFour == "cdef")
            #expect(updated.whatsapp.phoneNumberID == "1065550001")
            let after = try await h.storedCredentials(whatsApp.id)
            #expect(after[0] != before[0] && after[1] == before[1] && after[2] == before[2])
            await expectRPCError(.notFound) { try await h.handler.updateChannel(request: update, context: h.asB) }

            var rename = Metachat_V1_UpdateChannelRequest()
            rename.channelID = messenger.id
            rename.channel.name = "Renamed"
            rename.updateMask.paths = ["name"]
            await expectRPCError(.alreadyExists, "A channel with this name already exists") {
                try await h.handler.updateChannel(request: rename, context: h.asA)
            }

            var delete = Metachat_V1_DeleteChannelRequest()
            delete.channelID = whatsApp.id
            await expectRPCError(.notFound) { try await h.handler.deleteChannel(request: delete, context: h.asB) }
            _ = try await h.handler.deleteChannel(request: delete, context: h.asA)
            await expectRPCError(.notFound) { try await h.channel(whatsApp.id) }
            await expectRPCError(.notFound) { try await h.handler.deleteChannel(request: delete, context: h.asA) }
        }
    }

    @Test("Two channels of one tenant cannot share a name, concurrently either; two tenants can")
    func uniqueNames() async throws {
        try await Harness.with { h in
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<6 {
                    group.addTask { (try? await h.create(Harness.whatsAppRequest(name: "Same"))) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            _ = try await h.create(Harness.whatsAppRequest(name: "Same"), context: h.asB)
            await expectRPCError(.alreadyExists) { try await h.create(Harness.whatsAppRequest(name: "Same")) }
        }
    }

    @Test("Test connection: 200 clears the last error; error 190 is recorded in the channel's health")
    func testConnection() async throws {
        try await Harness.with { h in
            let channel = try await h.create(Harness.whatsAppRequest())
            var request = Metachat_V1_TestChannelConnectionRequest()
            request.channelID = channel.id
            h.graph.answer { _ in
                GraphAPIResponse(
                    statusCode: 401,
                    body: Array(
                        #"{"error":{"message":"Error validating access token","type":"OAuthException","code":190}}"#
                            .utf8))
            }
            let failed = try await h.handler.testChannelConnection(request: request, context: h.asA)
            #expect(!failed.ok)
            #expect(failed.detail.contains("190") && failed.detail.contains("Error validating access token"))
            #expect(failed.channel.health.lastError == failed.detail)
            #expect(failed.channel.health.hasLastErrorAt)
            let sent = try #require(h.graph.received.last)
            #expect(sent.method == "GET" && sent.path == "1065550001?fields=id")
            #expect(sent.accessToken == "EAAG-access-token-WXYZ")

            h.graph.answer { _ in GraphAPIResponse(statusCode: 200, body: Array(#"{"id":"1065550001"}"#.utf8)) }
            let passed = try await h.handler.testChannelConnection(request: request, context: h.asA)
            #expect(passed.ok && passed.detail.isEmpty)
            #expect(passed.channel.health.lastError.isEmpty && !passed.channel.health.hasLastErrorAt)
            #expect(try await h.channel(channel.id).health == passed.channel.health)

            h.graph.answer { _ in throw GraphAPIFailure("connect timeout") }
            let unreachable = try await h.handler.testChannelConnection(request: request, context: h.asA)
            #expect(!unreachable.ok && unreachable.detail.contains("connect timeout"))

            request.channelID = channel.id
            await expectRPCError(.notFound) {
                try await h.handler.testChannelConnection(request: request, context: h.asB)
            }
        }
    }

    @Test("A channel's sealed credential copied into another channel's row does not open there")
    func sealedValuesAreBoundToTheirRow() async throws {
        try await Harness.with { h in
            let first = try await h.create(Harness.whatsAppRequest(name: "One"))
            let second = try await h.create(Harness.whatsAppRequest(name: "Two"))
            try await h.pool.withAdminTransaction { connection in
                _ = try await connection.execute(
                    """
                    UPDATE channels SET access_token = (SELECT access_token FROM channels WHERE id::text = \(first.id))
                    WHERE id::text = \(second.id)
                    """)
            }
            var request = Metachat_V1_TestChannelConnectionRequest()
            request.channelID = second.id
            let outcome = try await h.handler.testChannelConnection(request: request, context: h.asA)
            #expect(!outcome.ok && outcome.detail.contains("cannot be opened"))
            #expect(h.graph.received.isEmpty)
        }
    }
}
