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

    /// Records like ``Recording`` but only for the methods of one service.
    private struct ServiceOnly: ServerInterceptor {
        let service: String
        let log: StepLog

        func applies(to method: MethodDescriptor) -> Bool { method.service == self.service }

        func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
            self.log.record("\(self.service) only")
            try await next(context)
        }
    }

    /// Decides immediately while the call has no `x-slow` metadata; otherwise leaves a note in
    /// the context and suspends, and its `intercept` reads the note.
    private struct SometimesImmediate: ServerInterceptor {
        let log: StepLog

        func interceptImmediately(context: inout ServerContext) throws -> ImmediateInterception {
            guard context.requestMetadata.firstString(forKey: "x-slow") != nil else {
                self.log.record("immediate")
                context.requestID = "immediate"
                return .proceed
            }
            context.requestID = "started immediately"
            return .suspend
        }

        func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
            self.log.record("intercept (\(context.requestID))")
            try await next(context)
            self.log.record("intercept out")
        }
    }

    /// Ends every call without suspending.
    private struct RefusingImmediately: ServerInterceptor {
        func interceptImmediately(context: inout ServerContext) throws -> ImmediateInterception {
            throw RPCError(code: .permissionDenied, message: "refused at once")
        }

        func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
            Issue.record("intercept ran although interceptImmediately threw")
        }
    }

    private static func echoRouter(_ descriptors: [MethodDescriptor]) -> RPCRouter {
        var router = RPCRouter()
        for descriptor in descriptors {
            router.register(RPCMethodHandler(descriptor: descriptor, unary: { request, _ in request }))
        }
        return router
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

    @Test("Each method of an intercepted router keeps the interceptors that apply to it, in order")
    func routerNarrowsChainPerMethod() throws {
        let log = StepLog()
        let admin = MethodDescriptor(service: "test.Admin", method: "Call", kind: .unary)
        let open = MethodDescriptor(service: "test.Open", method: "Call", kind: .unary)
        let router = Self.echoRouter([admin, open]).intercepted(by: [
            Recording(name: "first", log: log), ServiceOnly(service: "test.Admin", log: log),
            Recording(name: "last", log: log),
        ])

        let adminChain = try #require(router.handler(forPath: admin.path)).interceptors
        let openChain = try #require(router.handler(forPath: open.path)).interceptors
        #expect(adminChain.count == 3)
        #expect(adminChain[1] is ServiceOnly)
        #expect(openChain.count == 2)
        #expect(!openChain.contains { $0 is ServiceOnly })
        #expect((openChain.last as? Recording)?.name == "last")

        // Intercepting again replaces the chain instead of adding to it.
        let again = try #require(router.intercepted(by: []).handler(forPath: admin.path))
        #expect(again.interceptors.isEmpty)
    }

    @Test("The dispatcher runs an interceptor only for the methods it applies to")
    func dispatcherSkipsInterceptorsThatDoNotApply() async throws {
        let log = StepLog()
        let admin = MethodDescriptor(service: "test.Admin", method: "Call", kind: .unary)
        let open = MethodDescriptor(service: "test.Open", method: "Call", kind: .unary)
        let dispatcher = RPCDispatcher(
            router: Self.echoRouter([admin, open]), interceptors: [ServiceOnly(service: "test.Admin", log: log)])

        for descriptor in [open, admin] {
            let handler = try #require(dispatcher.router.handler(forPath: descriptor.path))
            let context = ServerContext(
                descriptor: descriptor, requestMetadata: [:], peer: "in-process", requestID: "r")
            #expect(try await dispatcher.unary(handler, request: [7], context: context) == [7])
        }

        #expect(log.recorded == ["test.Admin only"])
    }

    @Test("The dispatcher's interceptors run even for a handler taken from a router it was not given")
    func dispatcherInterceptsForeignHandlers() async throws {
        let log = StepLog()
        let admin = MethodDescriptor(service: "test.Admin", method: "Call", kind: .unary)
        let foreign = try #require(Self.echoRouter([admin]).handler(forPath: admin.path))
        let dispatcher = RPCDispatcher(router: RPCRouter(), interceptors: [Recording(name: "auth", log: log)])

        let context = ServerContext(descriptor: admin, requestMetadata: [:], peer: "in-process", requestID: "r")
        #expect(try await dispatcher.unary(foreign, request: [1], context: context) == [1])

        #expect(log.recorded == ["auth in (r)", "auth out"])
    }

    @Test("An interceptor that decides immediately is passed without its intercept running")
    func immediateDecisionSkipsIntercept() async throws {
        let log = StepLog()
        let chain: [any ServerInterceptor] = [
            SometimesImmediate(log: log), Recording(name: "after", log: log),
        ]

        try await chain.run(context: Self.context()) { log.record("handler (\($0.requestID))") }

        #expect(log.recorded == ["immediate", "after in (immediate)", "handler (immediate)", "after out"])
    }

    @Test("An interceptor that suspends runs its intercept with the context it changed, around the rest")
    func suspendingRunsInterceptWithChangedContext() async throws {
        let log = StepLog()
        let chain: [any ServerInterceptor] = [
            SometimesImmediate(log: log), Recording(name: "after", log: log),
        ]
        var context = Self.context()
        context.requestMetadata.addString("1", forKey: "x-slow")

        try await chain.run(context: context) { log.record("handler (\($0.requestID))") }

        #expect(
            log.recorded == [
                "intercept (started immediately)", "after in (started immediately)",
                "handler (started immediately)", "after out", "intercept out",
            ])
    }

    @Test("An immediate refusal ends the call before later interceptors and the handler")
    func immediateRefusalStopsChain() async throws {
        let log = StepLog()
        let chain: [any ServerInterceptor] = [RefusingImmediately(), Recording(name: "later", log: log)]

        let error = await #expect(throws: RPCError.self) {
            try await chain.run(context: Self.context()) { _ in log.record("handler") }
        }

        #expect(error?.code == .permissionDenied)
        #expect(log.recorded.isEmpty)
    }

    @Test("Immediate decisions after a suspending interceptor run inside it, with the context it passed on")
    func immediateDecisionsAfterASuspendingOne() async throws {
        let log = StepLog()
        let chain: [any ServerInterceptor] = [
            SometimesImmediate(log: log), Rewriting(), SometimesImmediate(log: log), Recording(name: "last", log: log),
        ]

        try await chain.run(context: Self.context()) { context in
            log.record(
                "handler (\(context.requestID), \(context.requestMetadata.firstString(forKey: "x-user") ?? "-"))")
        }

        #expect(
            log.recorded == [
                "immediate", "immediate", "last in (immediate)", "handler (immediate, alice)", "last out",
            ])
    }
}
