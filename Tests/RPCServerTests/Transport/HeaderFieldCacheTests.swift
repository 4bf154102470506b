import Testing

@testable import RPCServer

@Suite("Header field cache")
struct HeaderFieldCacheTests {
    private static func field(_ cache: inout HeaderFieldCache, _ name: String, _ value: String) -> HTTP2HeaderField {
        let name = Array(name.utf8)
        let value = Array(value.utf8)
        return name.withUnsafeBufferPointer { name in
            value.withUnsafeBufferPointer { value in cache.field(name: name, value: value) }
        }
    }

    @Test("A repeated field comes back with the same strings and role; a different value is not confused")
    func repeatedAndDistinctFields() {
        var cache = HeaderFieldCache()
        let path = "/metachat.fixture.v1.EchoService/Get"
        let first = Self.field(&cache, ":path", path)
        let again = Self.field(&cache, ":path", path)
        let other = Self.field(&cache, ":path", "/metachat.fixture.v1.EchoService/Put")
        let prefix = Self.field(&cache, ":pat", "h" + path)

        #expect(first.name == ":path" && first.value == path && first.role == .path)
        #expect(again.name == first.name && again.value == first.value && again.role == .path)
        #expect(other.value == "/metachat.fixture.v1.EchoService/Put")
        #expect(prefix.name == ":pat" && prefix.value == "h" + path && prefix.role == .otherPseudo)
    }

    @Test("More distinct fields than the cache holds, and fields too large to keep, still decode exactly")
    func beyondCapacity() {
        var cache = HeaderFieldCache()
        for round in 0..<3 {
            for index in 0..<(HeaderFieldCache.capacity * 2) {
                let field = Self.field(&cache, "x-field-\(index)", "value-\(index)-\(round % 2)")
                #expect(field.name == "x-field-\(index)" && field.value == "value-\(index)-\(round % 2)")
                #expect(field.role == .metadata)
            }
        }
        let large = String(repeating: "v", count: HeaderFieldCache.maxFieldBytes + 1)
        #expect(Self.field(&cache, "x-large", large).value == large)
        #expect(Self.field(&cache, "x-large", large).value == large)
    }

    @Test("Fields of the same lengths ending in the same bytes are told apart, in any order of arrival")
    func sameLengthsAndTails() {
        var cache = HeaderFieldCache()
        let fields = [
            ("x-api-key", "ten_aaaa-key1"), ("x-api-key", "ten_bbbb-key1"), ("x-app-key", "ten_aaaa-key1"),
            ("x-api-key", "ten_aaaa-key2"),
        ]
        for order in [fields, fields.reversed(), [fields[2], fields[0], fields[3], fields[1]]] {
            for (name, value) in order {
                let field = Self.field(&cache, name, value)
                #expect(field.name == name && field.value == value)
            }
        }
    }
}
