/// How long data is kept when a tenant's settings do not say, and how retention works through it.
package struct RetentionDefaults: Sendable, Equatable {
    /// Days conversation messages are kept (tenant setting `retention.message_retention_days`).
    package var messageDays = 90
    /// Days API logs are kept (tenant setting `retention.api_log_retention_days`).
    package var apiLogDays = 30
    /// Days audit-log rows are kept.
    package var auditLogDays = 365
    /// Days a finished webhook delivery (and its attempts) stays in the delivery log.
    package var webhookDeliveryDays = 30
    /// Days a processed Meta callback (`channel_inbound`: the body as Meta posted it) is kept after
    /// it arrived; its message is in `messages`, so this only bounds how long raw payloads linger.
    package var channelCallbackDays = 7
    /// Days a platform message id (`channel_inbound_messages`, the callbacks' dedupe) is kept:
    /// twice the week over which Meta redelivers a callback it got no 200 for.
    package var channelMessageIDDays = 14
    /// How long a chat call's idempotency key is kept (the contract promises 24 hours).
    package var idempotencyKeyRetention: Duration = .seconds(24 * 3600)
    /// How long conversation events stay (the stream's resume window).
    package var eventRetention: Duration = .seconds(168 * 3600)
    /// Rows deleted per statement (and per transaction), so no statement holds locks for long.
    package var batchSize = 1000

    /// The defaults: 90 days of messages, 30 of API logs, 365 of audit rows, 30 of finished webhook
    /// deliveries, 7 of processed channel callbacks, 14 of channel message ids, a day of
    /// idempotency keys, a week of events, batches of 1,000.
    package init() {}
}
