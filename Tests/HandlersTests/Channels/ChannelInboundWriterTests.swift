import Foundation
import MetaChatAPI
import Storage
import Testing

@testable import Handlers

/// Verified callbacks stored many to a transaction: each caller returns once its own row is
/// committed, and a row that cannot be written fails only its own caller.
@Suite("Channel callbacks written together")
struct ChannelInboundWriterTests {
    @Test("300 callbacks of two tenants at once: every one stored exactly once, with its tenant and body")
    func concurrentCallbacksAllStored() async throws {
        try await ChannelTestHarness.with { h in
            let channelA = try await h.create(ChannelTestHarness.whatsAppRequest())
            let channelB = try await h.create(ChannelTestHarness.whatsAppRequest(), context: h.asB)
            let targets = [
                (try ConversationTestHarness.uuid(h.tenantA), try ConversationTestHarness.uuid(channelA.id)),
                (try ConversationTestHarness.uuid(h.tenantB), try ConversationTestHarness.uuid(channelB.id)),
            ]
            let writer = ChannelInboundWriter(pool: h.pool, batchLimit: 64)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<300 {
                    let (tenant, channel) = targets[index % 2]
                    group.addTask {
                        try await writer.store(
                            tenantID: tenant, channelID: channel, body: Array("callback \(index)".utf8))
                    }
                }
                try await group.waitForAll()
            }
            let rows = try await h.pool.withAdminTransaction { connection in
                try await connection.query("SELECT tenant_id, channel_id, body FROM channel_inbound").map { row in
                    (
                        try row.decode("tenant_id", as: UUID.self), try row.decode("channel_id", as: UUID.self),
                        String(decoding: try row.decode("body", as: [UInt8].self), as: UTF8.self)
                    )
                }
            }
            #expect(rows.count == 300)
            #expect(writer.transactionCount < 150, "callbacks that arrived together shared transactions")
            #expect(Set(rows.map { _, _, body in body }).count == 300, "no callback stored twice")
            for (tenant, channel, body) in rows {
                guard let index = Int(body.dropFirst("callback ".count)) else {
                    Issue.record("unexpected body \(body)")
                    continue
                }
                #expect(tenant == targets[index % 2].0 && channel == targets[index % 2].1, "\(body)")
            }
        }
    }

    @Test("A callback whose channel is gone fails alone; the ones written with it are stored")
    func badRowFailsAlone() async throws {
        try await ChannelTestHarness.with { h in
            let channel = try await h.create(ChannelTestHarness.whatsAppRequest())
            let tenant = try ConversationTestHarness.uuid(h.tenantA)
            let channelID = try ConversationTestHarness.uuid(channel.id)
            let writer = ChannelInboundWriter(pool: h.pool, batchLimit: 64)
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<40 {
                    // Every tenth callback names a channel that does not exist.
                    let target = index % 10 == 9 ? UUID() : channelID
                    group.addTask {
                        do {
                            try await writer.store(tenantID: tenant, channelID: target, body: Array("c\(index)".utf8))
                            return true
                        } catch {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 36)
            #expect(outcomes.filter { !$0 }.count == 4)
            let stored = try await h.pool.withAdminTransaction { connection in
                try await connection.query("SELECT count(*)::int8 AS n FROM channel_inbound")[0].decode(
                    "n", as: Int64.self)
            }
            #expect(stored == 36)
        }
    }
}
