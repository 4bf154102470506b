import RPCServer
import Testing

@Suite("RPC errors")
struct RPCErrorTests {
    @Test("Every status number 0...16 maps to a code with its canonical name and back")
    func codesRoundTrip() throws {
        let names = [
            "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
            "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
            "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
        ]
        for (number, name) in names.enumerated() {
            let code = try #require(RPCError.Code(rawValue: number))
            #expect(code.rawValue == number)
            #expect(code.name == name)
        }
        #expect(RPCError.Code(rawValue: 17) == nil)
        #expect(RPCError.Code(rawValue: -1) == nil)
    }

    @Test("Cancellation becomes CANCELLED; convertible errors keep their status")
    func conversion() {
        struct Domain: RPCErrorConvertible {
            var rpcError: RPCError { RPCError(code: .notFound, message: "no such tenant") }
        }
        #expect(RPCError.from(CancellationError()).code == .cancelled)
        #expect(RPCError.from(Domain()) == RPCError(code: .notFound, message: "no such tenant"))
    }

    @Test("Metadata keeps order, lower-cases keys and separates text from binary values")
    func metadata() {
        var metadata: Metadata = ["X-Trace": .string("a")]
        metadata.addString("b", forKey: "x-trace")
        metadata.addBinary([0, 1], forKey: "Trace-Bin")

        #expect(metadata.strings(forKey: "X-TRACE") == ["a", "b"])
        #expect(metadata.binaries(forKey: "trace-bin") == [[0, 1]])
        #expect(metadata.strings(forKey: "trace-bin").isEmpty)
        metadata.removeAll(forKey: "x-trace")
        #expect(metadata.count == 1)
    }
}
