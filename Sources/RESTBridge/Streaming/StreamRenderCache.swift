internal import SwiftProtobuf
internal import Synchronization

/// The framed bytes (an SSE event or an NDJSON line) of the messages the gateway's streams wrote
/// last, shared by all of them: an event fanned out to many watchers of one feed is rendered and
/// framed once per format, not once per watcher.
///
/// Entries are found by message equality (`isEqualTo`), which is cheap for the usual hit (the
/// same message value handed to every watcher shares its storage, and generated equality checks
/// that first) and for the usual miss (events differ in their first field, their id); equal
/// messages render to the same JSON, so a hit is exact. The cache holds the last ``capacity``
/// messages of any route.
final class StreamRenderCache: Sendable {
    private struct Entry: Sendable {
        let key: String
        let message: any SwiftProtobuf.Message
        let bytes: [UInt8]
    }

    private struct Ring: Sendable {
        var entries: [Entry] = []
        /// Where the next entry goes once the ring is full.
        var next = 0
    }

    /// How many messages are remembered.
    let capacity: Int
    private let ring = Mutex(Ring())

    /// Creates an empty cache.
    ///
    /// - Parameter capacity: How many messages are remembered (at least 1).
    init(capacity: Int = 32) {
        self.capacity = max(1, capacity)
    }

    /// The bytes of `message` rendered the way `key` names: remembered, or made by `render`
    /// (outside the lock) and remembered.
    ///
    /// - Parameters:
    ///   - message: The streamed message.
    ///   - key: Identifies the rendering (the route's response type and field, and the format).
    ///   - render: Renders and frames the message.
    func rendered(
        _ message: any SwiftProtobuf.Message, key: String, render: () throws -> [UInt8]
    ) rethrows -> [UInt8] {
        let found: [UInt8]? = self.ring.withLock { ring in
            // Newest first: a fanned-out event is usually the one just rendered.
            let count = ring.entries.count
            for offset in 0..<count {
                let index = (ring.next - 1 - offset + 2 * count) % count
                let entry = ring.entries[index]
                if entry.key == key, entry.message.isEqualTo(message: message) {
                    return entry.bytes
                }
            }
            return nil
        }
        if let found { return found }
        let bytes = try render()
        let entry = Entry(key: key, message: message, bytes: bytes)
        self.ring.withLock { ring in
            if ring.entries.count < self.capacity {
                ring.entries.append(entry)
                ring.next = ring.entries.count % self.capacity
            } else {
                ring.entries[ring.next] = entry
                ring.next = (ring.next + 1) % self.capacity
            }
        }
        return bytes
    }
}
