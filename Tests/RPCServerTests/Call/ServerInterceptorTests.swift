import Synchronization
import Testing

@testable import RPCServer

@Suite("Server interceptor chain")
struct ServerInterceptorTests {
    /// The steps the chain ran, in order.
    private final class StepLog: Sendable {
        private let steps = Mutex<[String]>([])

        func record(_ step: String) {
            self.steps.withLock { $0.append(step) }
        }

        var recorded: [String] { self.steps.withLock { $0 } }
    }

    /// Records entering and leaving, and what request id it saw.
    private struct Recording: ServerInterceptor {
        let name: String
        let log: StepLog

        func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
            self.log.record("\(self.name) in (\(context.requestID))")
            try await next(context)
            self.log.record("\(self.name) out")
        }
    }

    /// Passes on a context with a new request id and an extra metadata pair.
    private struct Rewriting: ServerInterceptor {
        func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
            var replaced = context
            replaced.requestID = "rewritten"
            replaced.requestMetadata.addString("alice", forKey: "x-user")
            try await next(replaced)
        }
    }

    /// Refuses every call.
    private struct Refusing: ServerInterceptor {
        func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
            throw RPCError(code: .unauthenticated, message: "x-api-key is missing")
        }
    }

    private static func context() -> ServerContext {
        ServerContext(
            descriptor: MethodDescriptor(service: "test.Service", method: "Call", kind: .unary),
            requestMetadata: [:],
            peer: "in-process",
            requestID: "original"
        )
    }

    @Test("With no interceptors the handler runs with the original context")
    func emptyChainRunsHandler() async throws {
        let log = StepLog()
        let chain: [any ServerInterceptor] = []

        try await chain.run(context: Self.context()) { log.record("handler (\($0.requestID))") }

        #expect(log.recorded == ["handler (original)"])
    }

    @Test("Interceptors run in order around the handler")
    func interceptorsRunInOrder() async throws {
        let log = StepLog()
        let chain: [any ServerInterceptor] = [
            Recording(name: "first", log: log),
            Recording(name: "second", log: log),
            Recording(name: "third", log: log),
        ]

        try await chain.run(context: Self.context()) { _ in log.record("handler") }

        #expect(
            log.recorded == [
                "first in (original)", "second in (original)", "third in (original)",
                "handler",
                "third out", "second out", "first out",
            ]
        )
    }

    @Test("A context replaced by an interceptor is what later interceptors and the handler see")
    func replacedContextPropagates() async throws {
        let log = StepLog()
        let chain: [any ServerInterceptor] = [
            Recording(name: "before", log: log),
            Rewriting(),
            Recording(name: "after", log: log),
        ]

        try await chain.run(context: Self.context()) { context in
            log.record(
                "handler (\(context.requestID), \(context.requestMetadata.firstString(forKey: "x-user") ?? "-"))")
        }

        #expect(
            log.recorded == [
                "before in (original)", "after in (rewritten)", "handler (rewritten, alice)", "after out", "before out",
            ])
    }

    @Test("A throwing interceptor stops the chain before later interceptors and the handler")
    func throwingInterceptorStopsChain() async throws {
        let log = StepLog()
        let chain: [any ServerInterceptor] = [
            Recording(name: "outer", log: log),
            Refusing(),
            Recording(name: "inner", log: log),
        ]

        let error = await #expect(throws: RPCError.self) {
            try await chain.run(context: Self.context()) { _ in log.record("handler") }
        }

        #expect(error?.code == .unauthenticated)
        #expect(log.recorded == ["outer in (original)"])
    }

    @Test("An error thrown by the handler passes back out through the interceptors")
    func handlerErrorPropagates() async throws {
        let log = StepLog()
        let chain: [any ServerInterceptor] = [Recording(name: "only", log: log)]

        let error = await #expect(throws: RPCError.self) {
            try await chain.run(context: Self.context()) { _ in
                throw RPCError(code: .notFound, message: "gone")
            }
        }

        #expect(error?.code == .notFound)
        #expect(log.recorded == ["only in (original)"])
    }
}
