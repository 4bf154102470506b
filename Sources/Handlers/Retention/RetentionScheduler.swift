internal import FoundationEssentials
package import Logging
internal import ServiceLifecycle

/// Starts a retention run at every slot of `RETENTION_CRON` (UTC). Every node runs a scheduler;
/// the first to claim a slot runs it (`retention_runs.scheduled_for` is unique, and the lock
/// keeps runs apart), the others skip it.
package struct RetentionScheduler: Service {
    private let schedule: CronSchedule
    private let runner: RetentionRunner
    private let logger: Logger

    /// A scheduler.
    ///
    /// - Parameters:
    ///   - schedule: When to run.
    ///   - runner: Runs retention.
    ///   - logger: Receives skipped and failed runs.
    package init(schedule: CronSchedule, runner: RetentionRunner, logger: Logger) {
        self.schedule = schedule
        self.runner = runner
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let now = Date().timeIntervalSince1970
                guard let slot = self.schedule.next(after: Int64(now)) else { return }
                let wait = Double(slot) - now
                guard (try? await Task.sleep(for: .milliseconds(Int64(max(0, wait) * 1000)))) != nil else { return }
                do {
                    try await self.runner.run(
                        .init(trigger: .schedule, scheduledFor: Date(timeIntervalSince1970: TimeInterval(slot))))
                } catch RetentionRunner.Refusal.slotTaken, RetentionRunner.Refusal.busy {
                    self.logger.debug("scheduled retention run left to another node", metadata: ["slot": "\(slot)"])
                } catch {
                    self.logger.warning("scheduled retention run failed to start", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
