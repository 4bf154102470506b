internal import Handlers
internal import Storage

/// The variables of the events that leave the process: webhook retries and the optional RabbitMQ
/// event bus (docs/webhooks.md).
///
/// The variables are in ``AppConfiguration``'s table.
struct EventsConfiguration: Sendable {
    /// How webhooks are delivered.
    var webhooks: WebhookConfiguration = .defaults
    /// Where the event bus is, when one is configured.
    var rabbitMQ: RabbitMQURL?
    /// The exchange events are published to.
    var exchange = "metachat.events"

    /// Reads the variables above.
    ///
    /// - Throws: ``ConfigurationError`` naming the variable at fault.
    init(environment: [String: String]) throws {
        if let text = environment["WEBHOOK_RETRY_MAX_ATTEMPTS"], !text.isEmpty {
            guard text.count <= 2, let attempts = Int(text), (1...50).contains(attempts) else {
                throw ConfigurationError(
                    variable: "WEBHOOK_RETRY_MAX_ATTEMPTS",
                    problem: "must be a whole number from 1 to 50, not '\(text)'")
            }
            self.webhooks.retry.maximumAttempts = attempts
        }
        if let text = environment["WEBHOOK_RETRY_INITIAL_DELAY_MS"], !text.isEmpty {
            guard text.count <= 7, let milliseconds = Int(text), (1...3_600_000).contains(milliseconds) else {
                throw ConfigurationError(
                    variable: "WEBHOOK_RETRY_INITIAL_DELAY_MS",
                    problem: "must be a whole number of milliseconds from 1 to 3600000, not '\(text)'")
            }
            self.webhooks.retry.initialDelay = .milliseconds(milliseconds)
        }
        if let text = environment["RABBITMQ_URL"], !text.isEmpty {
            // The message does not repeat the value: it may hold a password.
            guard let url = RabbitMQURL(text) else {
                throw ConfigurationError(
                    variable: "RABBITMQ_URL",
                    problem: "must look like amqp://user:password@host:port/vhost (percent-encode reserved characters)")
            }
            self.rabbitMQ = url
        }
        if let text = environment["RABBITMQ_EXCHANGE"], !text.isEmpty {
            guard text.utf8.count <= 127,
                text.utf8.allSatisfy({
                    ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) || $0 == 45 || $0 == 95 || $0 == 46
                        || $0 == 58
                })
            else {
                throw ConfigurationError(
                    variable: "RABBITMQ_EXCHANGE",
                    problem: "must be 1 to 127 letters, digits, '-', '_', '.' or ':'")
            }
            self.exchange = text
        }
    }
}
