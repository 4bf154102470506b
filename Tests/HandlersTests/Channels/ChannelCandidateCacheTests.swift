import Foundation
import Testing

@testable import Handlers

@Suite("Channel candidates behind a callback URL, kept for a second")
struct ChannelCandidateCacheTests {
    struct ReadFailed: Error {}

    /// Counts the reads it answers, each with no channels.
    final class CountingReader: Sendable {
        private let reads = LockedBox(0)
        var count: Int { self.reads.value }
        func read() async throws -> [ChannelRow] {
            self.reads.withLock { $0 += 1 }
            return []
        }
    }

    @Test("Within its lifetime a URL is read once; after it, again; other URLs on their own")
    func lifetime() async throws {
        let cache = ChannelCandidateCache(lifetime: .seconds(1))
        let reader = CountingReader()
        let start = ContinuousClock.now
        let url = MetaCallbackTarget.channel(UUID().uuidString)
        for offset in [0, 10, 999] {
            _ = try await cache.channels(for: url, now: start + .milliseconds(offset)) { try await reader.read() }
        }
        #expect(reader.count == 1)
        _ = try await cache.channels(for: url, now: start + .milliseconds(1000)) { try await reader.read() }
        #expect(reader.count == 2, "a second later the URL is read again")
        _ = try await cache.channels(for: .integration(platform: "whatsapp", tenantID: "t"), now: start) {
            try await reader.read()
        }
        #expect(reader.count == 3)
    }

    @Test("A failed read is not remembered")
    func failureNotKept() async throws {
        let cache = ChannelCandidateCache()
        let url = MetaCallbackTarget.channel("c")
        await #expect(throws: ReadFailed.self) {
            _ = try await cache.channels(for: url) { throw ReadFailed() }
        }
        let reader = CountingReader()
        _ = try await cache.channels(for: url) { try await reader.read() }
        #expect(reader.count == 1)
        #expect(cache.count == 1)
    }

    @Test("A flood of made-up URLs never holds more than the capacity")
    func bounded() async throws {
        let cache = ChannelCandidateCache(capacity: 100)
        let reader = CountingReader()
        for _ in 0..<1_000 {
            _ = try await cache.channels(for: .channel(UUID().uuidString)) { try await reader.read() }
            #expect(cache.count <= 100)
        }
        #expect(reader.count == 1_000)
    }
}
