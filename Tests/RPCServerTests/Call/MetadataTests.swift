import Testing

@testable import RPCServer

@Suite("Metadata")
struct MetadataTests {
    @Test("append keeps insertion order, repeated keys included")
    func appendKeepsOrder() {
        var metadata = Metadata()
        metadata.append(Metadata.Element(key: "x-b", value: .string("1")))
        metadata.append(Metadata.Element(key: "x-a", value: .binary([2])))
        metadata.append(Metadata.Element(key: "x-b", value: .string("3")))

        #expect(
            Array(metadata) == [
                Metadata.Element(key: "x-b", value: .string("1")),
                Metadata.Element(key: "x-a", value: .binary([2])),
                Metadata.Element(key: "x-b", value: .string("3")),
            ]
        )
    }

    @Test("append(contentsOf:) keeps both sides' order, into empty metadata too")
    func appendContentsOf() {
        let added: Metadata = ["x-b": .string("2"), "x-c": .binary([3])]
        var empty = Metadata()
        empty.append(contentsOf: added)
        var filled: Metadata = ["x-a": .string("1")]
        filled.append(contentsOf: added)

        #expect(empty == added)
        #expect(Array(filled).map(\.key) == ["x-a", "x-b", "x-c"])
        #expect(filled.firstString(forKey: "x-b") == "2")
        #expect(filled.binaries(forKey: "x-c") == [[3]])
    }

    @Test("append lower-cases keys")
    func appendLowerCasesKeys() {
        var metadata = Metadata()
        metadata.append(Metadata.Element(key: "X-Request-ID", value: .string("abc")))
        metadata.append(Metadata.Element(key: "Trace-BIN", value: .binary([1, 2])))

        #expect(Array(metadata).map(\.key) == ["x-request-id", "trace-bin"])
        #expect(metadata.firstString(forKey: "x-request-id") == "abc")
        #expect(metadata.binaries(forKey: "TRACE-bin") == [[1, 2]])
    }

    @Test("addString, addBinary and dictionary literals lower-case keys too")
    func otherInsertionsLowerCaseKeys() {
        var metadata: Metadata = ["X-Literal": .string("l")]
        metadata.addString("s", forKey: "X-String")
        metadata.addBinary([0], forKey: "X-Bytes-Bin")

        #expect(Array(metadata).map(\.key) == ["x-literal", "x-string", "x-bytes-bin"])
    }
}
