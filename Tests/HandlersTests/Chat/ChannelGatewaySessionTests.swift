import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import Testing

/// ChannelSession's lifecycle on the handler (no socket): a silent gateway is ended, and the
/// channel is let go when a session ends.
@Suite("Channel gateway sessions", .serialized)
struct ChannelGatewaySessionTests {
    /// A WhatsApp channel of the harness's tenant (credentials are not used here).
    static func channel(_ h: ChatTestHarness) async throws -> UUID {
        try await h.pool.withAdminTransaction { connection in
            try await connection.query(
                """
                INSERT INTO channels (tenant_id, type, name, phone_number_id, business_account_id, access_token,
                    app_secret, verify_token)
                VALUES ($1, 'WHATSAPP', 'wa', '1', '2', 'sealed', 'sealed', 'sealed') RETURNING id
                """, [.uuid(h.tenantID)]
            )[0].decode(0, as: UUID.self)
        }
    }

    static func hello(_ channel: UUID) -> Metachat_V1_ChannelInbound {
        var envelope = Metachat_V1_ChannelInbound()
        envelope.envelopeID = "hello"
        var hello = Metachat_V1_ChannelInbound.Hello()
        hello.channelID = channel.uuidString.lowercased()
        envelope.hello = hello
        return envelope
    }

    static func holder(_ h: ChatTestHarness, _ channel: UUID) async throws -> UUID? {
        try await h.pool.withAdminTransaction { connection in
            try await connection.query("SELECT gateway_session_id FROM channels WHERE id = $1", [.uuid(channel)])[0]
                .decode(0, as: UUID?.self)
        }
    }

    @Test("A gateway silent for three heartbeat intervals is ended with UNAVAILABLE, and its hold is let go")
    func silentGatewayEnds() async throws {
        try await ChatTestHarness.with(server: nil) { h in
            let channel = try await Self.channel(h)
            var configuration = ChannelGatewayConfiguration()
            configuration.heartbeatInterval = .milliseconds(200)
            configuration.pollInterval = .milliseconds(50)
            let handler = ChatHandler(pool: h.pool, orchestrator: h.orchestrator, gateway: configuration)
            // The gateway says hello and then nothing, its side left open.
            let (requests, gateway) = AsyncThrowingStream<Metachat_V1_ChannelInbound, any Error>.makeStream()
            gateway.yield(Self.hello(channel))
            let written = WrittenEnvelopes()
            await #expect {
                try await handler.channelSession(
                    request: RPCAsyncSequence(wrapping: requests),
                    response: RPCWriter { written.append($0) }, context: h.context)
            } throws: { error in
                (error as? RPCError)?.code == .unavailable
                    && (error as? RPCError)?.message.contains("three heartbeat intervals") == true
            }
            gateway.finish()
            #expect(written.all.first?.welcome.channelID == channel.uuidString.lowercased())
            #expect(try await Self.holder(h, channel) == nil)
        }
    }

    @Test("A gateway that closes its side ends the call cleanly and lets the channel go")
    func closedGatewayEnds() async throws {
        try await ChatTestHarness.with(server: nil) { h in
            let channel = try await Self.channel(h)
            var heartbeat = Metachat_V1_ChannelInbound()
            heartbeat.envelopeID = "beat"
            heartbeat.heartbeat = .init()
            let written = WrittenEnvelopes()
            try await h.handler.channelSession(
                request: .elements([Self.hello(channel), heartbeat]), response: RPCWriter { written.append($0) },
                context: h.context)
            let kinds = written.all.map { envelope -> String in
                switch envelope.kind {
                case .welcome: "welcome"
                case .heartbeat: "heartbeat"
                default: "other"
                }
            }
            #expect(kinds == ["welcome", "heartbeat"])
            #expect(try await Self.holder(h, channel) == nil)
        }
    }
}

/// What a session wrote, in order.
final class WrittenEnvelopes: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var envelopes: [Metachat_V1_ChannelOutbound] = []

    func append(_ envelope: Metachat_V1_ChannelOutbound) {
        self.lock.withLock { self.envelopes.append(envelope) }
    }

    var all: [Metachat_V1_ChannelOutbound] { self.lock.withLock { self.envelopes } }
}
