import Dispatch
import FoundationEssentials
import Handlers
import Logging
import RPCServer
import Storage

// apilog-bench [CALLS]: what the API log costs a call on the request path — ApiLogInterceptor
// (two clock reads, the entry, an append under the recorder's lock) around a handler that does
// nothing — beside a pass-through interceptor, on one task and on two at once. Every 2,000 calls
// the loop takes the waiting batch as the writer does before its COPY, so the figure includes
// that share of the lock. Release build: swift build -c release --product apilog-bench
// (docs/benchmarks.md, "API log on the request path").

/// Runs the rest of the chain and nothing else: the reference.
struct PassThrough: ServerInterceptor {
    func intercept(
        context: ServerContext,
        next: nonisolated(nonsending) (ServerContext) async throws -> Void
    ) async throws {
        try await next(context)
    }
}

let calls =
    CommandLine.arguments.dropFirst().first.flatMap { Int($0) }.map { max(10_000, min($0, 50_000_000)) } ?? 2_000_000
let logger = Logger(label: "apilog-bench") { _ in SwiftLogNoOpLogHandler() }
// The pool never connects: the bench takes the batches itself instead of writing them.
let pool = PostgresPool(configuration: .init(url: "postgresql://127.0.0.1:1/unused"), logger: logger)
var configuration = ApiLogRecorder.Configuration()
configuration.capacity = 1_000_000
let recorder = ApiLogRecorder(
    pool: pool, routes: [:], httpStatus: { _ in 200 }, configuration: configuration, logger: logger)

func context() -> ServerContext {
    var context = ServerContext(
        descriptor: MethodDescriptor(service: "metachat.v1.TenantService", method: "GetTenant", kind: .unary),
        requestMetadata: Metadata(),
        peer: "ipv4:127.0.0.1:50000",
        clientAddress: ClientAddress("127.0.0.1"),
        requestID: "req-0123456789abcdef",
        transport: .grpc
    )
    context.principal = .tenant(tenantID: UUID().lowercasedString, keyID: UUID().lowercasedString)
    return context
}

/// Runs `count` calls through `interceptor` on `tasks` tasks at once; nanoseconds per call
/// (wall clock).
func run(_ interceptor: any ServerInterceptor, tasks: Int, count: Int) async -> Double {
    let perTask = count / tasks
    let started = DispatchTime.now().uptimeNanoseconds
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<tasks {
            group.addTask {
                let call = context()
                for index in 0..<perTask {
                    try? await interceptor.intercept(context: call) { _ in }
                    if index % 2_000 == 1_999 {
                        _ = recorder.takeWaitingBatch()
                    }
                }
            }
        }
    }
    let elapsed = DispatchTime.now().uptimeNanoseconds - started
    while !recorder.takeWaitingBatch().isEmpty {}
    return Double(elapsed) / Double(perTask * tasks)
}

func format(_ value: Double) -> String {
    "\((value * 10).rounded() / 10)"
}

print("calls per run: \(calls); ns per call, wall clock (lower is better)")
print("run  tasks  api-log  pass-through  difference")
let logged = ApiLogInterceptor(recorder: recorder)
for round in 1...3 {
    for tasks in [1, 2] {
        // The reference first in odd rounds, second in even ones.
        var withLog = 0.0
        var reference = 0.0
        if round % 2 == 1 {
            reference = await run(PassThrough(), tasks: tasks, count: calls)
            withLog = await run(logged, tasks: tasks, count: calls)
        } else {
            withLog = await run(logged, tasks: tasks, count: calls)
            reference = await run(PassThrough(), tasks: tasks, count: calls)
        }
        print(
            "\(round)    \(tasks)      \(format(withLog))    \(format(reference))          \(format(withLog - reference))"
        )
    }
}
print("dropped: \(recorder.droppedCount)")
