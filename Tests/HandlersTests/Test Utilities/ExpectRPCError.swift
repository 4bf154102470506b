import RPCServer
import Testing

/// Expects `body` to throw an ``RPCError`` with `code` whose message contains `fragment`.
func expectRPCError<T>(
    _ code: RPCError.Code,
    _ fragment: String = "",
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async {
    do {
        _ = try await body()
        Issue.record("expected \(code), but the call succeeded", sourceLocation: sourceLocation)
    } catch let error as RPCError {
        #expect(error.code == code, "message: \(error.message)", sourceLocation: sourceLocation)
        if !fragment.isEmpty {
            #expect(error.message.contains(fragment), "message: \(error.message)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected RPCError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}
