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
    /// Per entry, both lengths and a few bytes of the field (``key(name:value:)``): scanned as
    /// plain integers, so only a likely match is compared byte by byte.
    private var keys: [UInt64] = []
    /// Where the next look-up starts: the entry after the last one found. HPACK-indexed fields
    /// arrive in the same order on every request, so this is usually the first entry tried.
    private var expected = 0
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
        let key = Self.key(name: name, value: value)
        let count = self.keys.count
        var index = self.expected < count ? self.expected : 0
        for _ in 0..<count {
            if self.keys[index] == key, self.entryMatches(index, name: name, value: value) {
                self.expected = index + 1 < count ? index + 1 : 0
                return self.entries[index].field
            }
            index = index + 1 < count ? index + 1 : 0
        }
        let field = HTTP2HeaderField(
            name: String(decoding: name, as: UTF8.self),
            value: String(decoding: value, as: UTF8.self)
        )
        let total = name.count + value.count
        guard total <= Self.maxFieldBytes else { return field }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(total)
        bytes.append(contentsOf: name)
        bytes.append(contentsOf: value)
        let entry = Entry(bytes: bytes, nameLength: name.count, field: field)
        if self.entries.count < Self.capacity {
            self.entries.append(entry)
            self.keys.append(key)
        } else {
            self.entries[self.nextReplaced] = entry
            self.keys[self.nextReplaced] = key
            self.nextReplaced = (self.nextReplaced + 1) % Self.capacity
        }
        return field
    }

    /// Both lengths and the value's last four bytes (or as many as it has) in one integer: equal
    /// for equal fields, and rarely equal for different ones of the same lengths.
    private static func key(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var tail: UInt64 = 0
        var index = max(0, value.count - 4)
        while index < value.count {
            tail = tail << 8 | UInt64(value[index])
            index += 1
        }
        return UInt64(truncatingIfNeeded: name.count) << 48 ^ UInt64(truncatingIfNeeded: value.count) << 32 ^ tail
    }

    /// Whether the entry at `index` holds exactly these bytes.
    private func entryMatches(
        _ index: Int, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        self.entries[index].nameLength == name.count
            && self.entries[index].bytes.count == name.count + value.count
            && Self.matches(self.entries[index].bytes, name: name, value: value)
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
