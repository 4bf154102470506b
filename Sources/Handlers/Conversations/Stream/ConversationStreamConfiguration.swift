/// How the live conversation stream behaves, with the defaults ``defaults`` documents.
package struct ConversationStreamConfiguration: Sendable, Hashable {
    /// A watcher that received nothing for this long gets a heartbeat event.
    package var heartbeatInterval: Duration
    /// The most events that may wait for one watcher; a watcher further behind is disconnected
    /// with its position.
    package var watcherCapacity: Int
    /// How often PostgreSQL is read for new events while Redis is unavailable.
    package var degradedPollInterval: Duration
    /// How often PostgreSQL is read for new events while Redis works, in case an announcement
    /// was lost (its publisher crashed between commit and publish).
    package var healthyPollInterval: Duration
    /// How long durable events are kept for watchers to resume from.
    package var retention: Duration
    /// How often events older than ``retention`` are deleted.
    package var pruneInterval: Duration

    /// 15 s heartbeats, 1,000 waiting events per watcher, PostgreSQL read every 250 ms without
    /// Redis and every 2 s with it, 7 days of retention pruned every 10 minutes.
    package static var defaults: ConversationStreamConfiguration {
        ConversationStreamConfiguration(
            heartbeatInterval: .seconds(15),
            watcherCapacity: 1000,
            degradedPollInterval: .milliseconds(250),
            healthyPollInterval: .seconds(2),
            retention: .seconds(7 * 24 * 3600),
            pruneInterval: .seconds(600)
        )
    }
}
