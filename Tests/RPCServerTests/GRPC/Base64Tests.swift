import Testing

@testable import RPCServer

@Suite("Base64 for -bin metadata")
struct Base64Tests {
    /// The test vectors of RFC 4648, section 10.
    private static let vectors: [(plain: String, encoded: String)] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ]

    @Test("Encoding matches the RFC 4648 vectors", arguments: Self.vectors)
    func encodesVectors(vector: (plain: String, encoded: String)) {
        #expect(Base64.encode(Array(vector.plain.utf8)) == vector.encoded)
    }

    @Test("Decoding matches the RFC 4648 vectors", arguments: Self.vectors)
    func decodesVectors(vector: (plain: String, encoded: String)) {
        #expect(Base64.decode(vector.encoded) == Array(vector.plain.utf8))
    }

    @Test("Unpadded input decodes like padded input", arguments: Self.vectors)
    func decodesUnpadded(vector: (plain: String, encoded: String)) {
        let unpadded = String(vector.encoded.filter { $0 != "=" })

        #expect(Base64.decode(unpadded) == Array(vector.plain.utf8))
    }

    @Test(
        "Characters outside the alphabet are rejected",
        arguments: ["Zm9v!", "Zm 9v", "Zm9v\n", "Zm-_", "Zm9vYg==é"]
    )
    func rejectsInvalidCharacters(text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test("Lengths that leave one lone character are rejected", arguments: ["Z", "Zm9vY", "Zm9vYmFyZ", "Z==="])
    func rejectsImpossibleLength(text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test("Every byte value survives a round trip")
    func roundTripsAllByteValues() {
        let bytes = (0...255).map { UInt8($0) }

        #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        for count in 0...3 {
            let slice = Array(bytes.suffix(count))
            #expect(Base64.decode(Base64.encode(slice)) == slice)
        }
    }
}
