internal import NIOCore

/// Runs tasks' jobs on one NIO event loop, so a handler started with this executor preference
/// runs on its connection's loop: no thread hop between the socket and the handler.
final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    /// Creates an executor for one loop.
    ///
    /// - Parameter eventLoop: The loop jobs run on.
    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
