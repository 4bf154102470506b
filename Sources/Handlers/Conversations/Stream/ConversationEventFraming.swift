internal import MetaChatAPI
internal import SwiftProtobuf

/// The payload of one Redis announcement: the events of one transaction, each as a 4-byte
/// big-endian length and the serialized `ConversationEvent`.
enum ConversationEventFraming {
    /// Frames events.
    static func encode(_ events: [Metachat_V1_ConversationEvent]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for event in events {
            let serialized: [UInt8] = try event.serializedBytes()
            let length = UInt32(serialized.count)
            bytes += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            bytes += serialized
        }
        return bytes
    }

    /// Reads framed events; `nil` when the bytes are not a whole number of valid frames.
    static func decode(_ bytes: [UInt8]) -> [Metachat_V1_ConversationEvent]? {
        var events: [Metachat_V1_ConversationEvent] = []
        var index = 0
        while index < bytes.count {
            guard bytes.count - index >= 4 else { return nil }
            let length =
                Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8
                | Int(bytes[index + 3])
            index += 4
            guard bytes.count - index >= length,
                let event = try? Metachat_V1_ConversationEvent(serializedBytes: Array(bytes[index..<(index + length)]))
            else { return nil }
            events.append(event)
            index += length
        }
        return events
    }
}
