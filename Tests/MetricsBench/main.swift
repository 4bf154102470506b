import CJemalloc
import Dispatch
import Monitoring
import Prometheus
import RPCServer

// metrics-bench [CALLS]: what recording one finished call costs in the transport's metrics
// (PrometheusRPCMetrics, what `serve` uses) beside the hand-rolled counters it replaced, on one
// thread and on two at once, over 40 methods x 3 statuses; then what rendering the text costs.
// Release build: swift build -c release --product metrics-bench (docs/benchmarks.md, "Metrics").

let calls = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 4_000_000
let paths = (0..<40).map { "/metachat.v1.Service\($0 % 8)/Method\($0)" }
let codes: [RPCError.Code] = [.ok, .ok, .ok, .notFound, .ok, .invalidArgument, .ok, .ok]

/// Records `count` calls on `threads` threads at once; nanoseconds per call (wall clock).
func run(_ metrics: any RPCServerMetrics, threads: Int, count: Int) -> Double {
    let perThread = count / threads
    let started = DispatchTime.now().uptimeNanoseconds
    DispatchQueue.concurrentPerform(iterations: threads) { thread in
        var index = thread
        for _ in 0..<perThread {
            metrics.callFinished(
                path: paths[index % paths.count], code: codes[index % codes.count], transport: .grpc,
                duration: .microseconds(index % 5000))
            index &+= 7
        }
    }
    let elapsed = DispatchTime.now().uptimeNanoseconds - started
    return Double(elapsed) / Double(perThread * threads)
}

func format(_ value: Double) -> String {
    let rounded = (value * 10).rounded() / 10
    return "\(rounded)"
}

print("calls per run: \(calls); 40 methods, 3 statuses; ns per call, wall clock (lower is better)")
print("run  threads  prometheus  hand-rolled  ratio")
for round in 1...3 {
    for threads in [1, 2] {
        // Fresh instances each run; the hand-rolled one first in odd rounds, second in even.
        let registry = PrometheusCollectorRegistry()
        let prometheus = PrometheusRPCMetrics(registry: registry)
        let handRolled = HandRolledRPCMetrics()
        var newCost = 0.0
        var oldCost = 0.0
        if round % 2 == 1 {
            oldCost = run(handRolled, threads: threads, count: calls)
            newCost = run(prometheus, threads: threads, count: calls)
        } else {
            newCost = run(prometheus, threads: threads, count: calls)
            oldCost = run(handRolled, threads: threads, count: calls)
        }
        print(
            "\(round)    \(threads)        \(format(newCost))        \(format(oldCost))         \(format(newCost / oldCost))"
        )
    }
}

let registry = PrometheusCollectorRegistry()
let prometheus = PrometheusRPCMetrics(registry: registry)
let handRolled = HandRolledRPCMetrics()
_ = run(prometheus, threads: 1, count: 100_000)
_ = run(handRolled, threads: 1, count: 100_000)
let renders = 200
var started = DispatchTime.now().uptimeNanoseconds
var bytes = 0
for _ in 0..<renders { bytes = registry.emitToBuffer().count }
let newRender = Double(DispatchTime.now().uptimeNanoseconds - started) / Double(renders) / 1000
started = DispatchTime.now().uptimeNanoseconds
var oldBytes = 0
for _ in 0..<renders { oldBytes = handRolled.prometheusText().utf8.count }
let oldRender = Double(DispatchTime.now().uptimeNanoseconds - started) / Double(renders) / 1000
print("render: prometheus \(format(newRender)) µs (\(bytes) B), hand-rolled \(format(oldRender)) µs (\(oldBytes) B)")
