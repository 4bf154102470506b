#if canImport(Glibc)
    private import Glibc
#endif

/// The header fields a connection keeps repeating, decoded once.
///
/// HPACK lets a client resend the same fields on every request for a byte or two each, and
/// clients do: `:path`, `content-type`, `user-agent`, `te`. Decoding them into new strings on
/// every request costs an allocation and a UTF-8 validation apiece; this cache hands back the
/// strings decoded the first time, with the field's ``HTTP2HeaderField/Role``. It holds at most ``capacity`` fields of at most
/// ``maxFieldBytes`` bytes each, replaced round-robin, so a client sending endless distinct
/// fields costs it a bounded amount of memory and a bounded scan per field.
struct HeaderFieldCache {
    /// Fields kept at once.
    static let capacity = 32
    /// The largest field (name and value bytes) kept.
    static let maxFieldBytes = 256

    private struct Entry {
        /// The name's bytes followed by the value's.
        var bytes: [UInt8]
        var nameLength: Int
        var field: HTTP2HeaderField
    }

    private var entries: [Entry] = []
    private var nextReplaced = 0

    /// One header field: from the cache, strings and role, when the same field came before.
    ///
    /// - Parameters:
    ///   - name: The name's bytes as nghttp2 decoded them.
    ///   - value: The value's bytes.
    mutating func field(
        name: UnsafeBufferPointer<UInt8>,
        value: UnsafeBufferPointer<UInt8>
    ) -> HTTP2HeaderField {
        let total = name.count + value.count
        for entry in self.entries
        where entry.nameLength == name.count && entry.bytes.count == total
            && Self.matches(entry.bytes, name: name, value: value)
        {
            return entry.field
        }
        let field = HTTP2HeaderField(
            name: String(decoding: name, as: UTF8.self),
            value: String(decoding: value, as: UTF8.self)
        )
        guard total <= Self.maxFieldBytes else { return field }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(total)
        bytes.append(contentsOf: name)
        bytes.append(contentsOf: value)
        let entry = Entry(bytes: bytes, nameLength: name.count, field: field)
        if self.entries.count < Self.capacity {
            self.entries.append(entry)
        } else {
            self.entries[self.nextReplaced] = entry
            self.nextReplaced = (self.nextReplaced + 1) % Self.capacity
        }
        return field
    }

    private static func matches(
        _ bytes: [UInt8],
        name: UnsafeBufferPointer<UInt8>,
        value: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        bytes.withUnsafeBufferPointer { stored in
            guard let base = stored.baseAddress else { return name.isEmpty && value.isEmpty }
            return Self.equal(base, name) && Self.equal(base + name.count, value)
        }
    }

    private static func equal(_ stored: UnsafePointer<UInt8>, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        return memcmp(stored, base, bytes.count) == 0
    }
}
