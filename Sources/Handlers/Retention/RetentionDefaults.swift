/// How long data is kept when a tenant's settings do not say, and how retention works through it.
package struct RetentionDefaults: Sendable, Equatable {
    /// Days conversation messages are kept (tenant setting `retention.message_retention_days`).
    package var messageDays = 90
    /// Days API logs are kept (tenant setting `retention.api_log_retention_days`).
    package var apiLogDays = 30
    /// Days audit-log rows are kept.
    package var auditLogDays = 365
    /// How long conversation events stay (the stream's resume window).
    package var eventRetention: Duration = .seconds(168 * 3600)
    /// Rows deleted per statement (and per transaction), so no statement holds locks for long.
    package var batchSize = 1000

    /// The defaults: 90 days of messages, 30 of API logs, 365 of audit rows, a week of events,
    /// batches of 1,000.
    package init() {}
}
