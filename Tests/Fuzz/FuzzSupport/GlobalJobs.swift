private import CFuzzSupport
internal import NIOCore
package import NIOEmbedded

#if canImport(Glibc)
    private import Glibc
#endif

/// Runs Swift Concurrency's global-executor jobs (tasks started without an executor
/// preference, and every `Task.sleep`) on the embedded event loop of the input being run.
///
/// The code under test starts some tasks with `Task {}` (the REST gateway's stream producer,
/// gRPC-Web calls) and sleeps in others (SSE heartbeats, the stream-headers delay). On their own
/// those run on the cooperative pool and real timers: an input's outcome would depend on thread
/// scheduling, and work would outlive the input. Here they become tasks of the input's
/// `EmbeddedEventLoop`, which the harness runs until nothing is left: sleeps become timers of
/// the loop's virtual clock. The production code is unchanged; only where jobs run differs.
package enum GlobalJobs {
    /// The loop jobs go to while an input runs; `nil` between inputs (jobs then go to the
    /// runtime's own executor).
    nonisolated(unsafe) private static var loop: EmbeddedEventLoop?
    /// The thread the harness runs on; jobs enqueued from another thread mean the harness lost
    /// its single-threadedness, which it reports at once.
    nonisolated(unsafe) private static var harnessThread: pthread_t?
    /// Longest delay kept as it is; longer sleeps wait this long (they are cancelled or drained).
    private static let maxDelayNanoseconds: UInt64 = 400 * 24 * 3600 * 1_000_000_000

    /// Installs the hooks; the first call wins, later ones do nothing.
    package static func installOnce() {
        guard Self.harnessThread == nil else { return }
        Self.harnessThread = pthread_self()
        CFuzz_installGlobalExecutorHooks { job, delay in
            GlobalJobs.take(job, delayNanoseconds: delay)
        }
    }

    /// Runs `body` with global jobs going to `loop`.
    package static func routing<Result>(to loop: EmbeddedEventLoop, _ body: () throws -> Result) rethrows -> Result {
        Self.installOnce()
        let previous = Self.loop
        Self.loop = loop
        defer { Self.loop = previous }
        return try body()
    }

    private static func take(_ job: UnsafeMutableRawPointer, delayNanoseconds: UInt64) -> Bool {
        guard let loop = Self.loop else { return false }
        guard let thread = Self.harnessThread, pthread_equal(thread, pthread_self()) != 0 else {
            preconditionFailure("A global-executor job was enqueued from a thread other than the harness's")
        }
        let job = Job(pointer: job)
        if delayNanoseconds == 0 {
            loop.execute { CFuzz_runJob(job.pointer) }
        } else {
            let delay = Int64(min(delayNanoseconds, Self.maxDelayNanoseconds))
            loop.scheduleTask(in: .nanoseconds(delay)) { CFuzz_runJob(job.pointer) }
        }
        return true
    }

    /// A job pointer carried into a loop task (the loop runs on the harness thread).
    private struct Job: @unchecked Sendable {
        // @unchecked: the pointer is only used on the harness thread, where it was enqueued.
        let pointer: UnsafeMutableRawPointer
    }
}
