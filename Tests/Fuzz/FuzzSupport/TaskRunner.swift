internal import NIOCore
internal import NIOEmbedded

/// Runs async code under test to completion on the calling thread: its task, and every task and
/// sleep it starts, run on a fresh `EmbeddedEventLoop` (see ``GlobalJobs``), whose virtual clock
/// then runs 48 hours on so that nothing started is left waiting.
package enum TaskRunner {
    /// Runs `operation` and returns its result.
    ///
    /// - Parameter operation: The work; it must finish once virtual time has passed.
    /// - Returns: What `operation` returned.
    package static func run<Result: Sendable>(_ operation: @escaping @Sendable () async -> Result) -> Result {
        let loop = EmbeddedEventLoop()
        loop.advanceTime(to: .now())
        let box = ResultBox<Result>()
        GlobalJobs.routing(to: loop) {
            Task { box.value = await operation() }
            loop.run()
            loop.advanceTime(by: .hours(48))
        }
        guard let value = box.value else {
            preconditionFailure("The operation did not finish after 48 hours of virtual time")
        }
        return value
    }

    /// Carries the result out of the task; written and read on the harness thread only.
    private final class ResultBox<Value>: @unchecked Sendable {
        // @unchecked: every job of the task runs on the harness thread (GlobalJobs).
        var value: Value?
    }
}
