import Testing

@testable import RPCServer

@Suite("Response metadata")
struct ResponseMetadataTests {
    @Test("Initial metadata keeps the order of every add, repeated keys included")
    func initialKeepsOrder() {
        let response = ResponseMetadata()
        var first = Metadata()
        first.addString("1", forKey: "x-b")
        first.addString("2", forKey: "x-a")
        var second = Metadata()
        second.addString("3", forKey: "x-b")

        response.addInitial(first)
        response.addInitial(second)

        #expect(Array(response.initial).map(\.key) == ["x-b", "x-a", "x-b"])
        #expect(response.initial.strings(forKey: "x-b") == ["1", "3"])
    }

    @Test("Trailing metadata keeps order and stays apart from initial metadata")
    func trailingKeepsOrderAndIsSeparate() {
        let response = ResponseMetadata()
        response.addTrailing(["x-z": .string("last"), "x-y": .binary([1])])
        response.addInitial(["x-initial": .string("i")])
        response.addTrailing(["x-z": .string("again")])

        #expect(Array(response.trailing).map(\.key) == ["x-z", "x-y", "x-z"])
        #expect(response.trailing.strings(forKey: "x-z") == ["last", "again"])
        #expect(Array(response.initial).map(\.key) == ["x-initial"])
    }

    @Test("Keys arrive lower-cased")
    func keysLowerCased() {
        let response = ResponseMetadata()
        var metadata = Metadata()
        metadata.addString("v", forKey: "X-Mixed-Case")
        metadata.append(Metadata.Element(key: "X-Appended", value: .string("w")))

        response.addInitial(metadata)
        response.addTrailing(metadata)

        #expect(Array(response.initial).map(\.key) == ["x-mixed-case", "x-appended"])
        #expect(Array(response.trailing).map(\.key) == ["x-mixed-case", "x-appended"])
    }
}
