internal import Handlers
internal import RESTBridge
internal import RPCServer
internal import Storage

/// Everything `metachat` reads from its environment, validated in one place.
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `HOST` | `127.0.0.1` | address to listen on |
/// | `PORT` | `3000` | port to listen on (1–65535) |
/// | `DASHBOARD_PORT` | `3001` | port of the dashboard's second listener on `HOST` (1–65535, not `PORT`); `off` serves no dashboard |
/// | `DATABASE_URL` | none (required by `serve`) | libpq URI of PostgreSQL |
/// | `API_KEY_PEPPER` | none (required by `serve` and `seed-admin`) | secret for key hashes: hex or text, ≥ 32 bytes |
/// | `REDIS_URL` | `redis://127.0.0.1:6379/0` | Redis URL, `redis://[user[:password]@]host[:port][/db]`; `rediss://` is refused |
/// | `LOG_LEVEL` | `info` | trace, debug, info, notice, warning, error, critical |
/// | `GLOBAL_API_KEY` | unset (disabled) | bootstrap super-admin key, ≥ 32 characters |
/// | `RATE_LIMIT_WINDOW_MS`, `RATE_LIMIT_MAX_REQUESTS` | `60000`, `100` | default rate limit per key or client IP (1–86400000 ms, 1–1000000000) |
/// | `AUTH_FAILURE_LIMIT` | `60` | failed key checks per client address per minute before it is refused (429) for the rest of the minute; `0` disables (0–1000000) |
/// | `API_CORS_ORIGINS` | empty (no browser origins) | comma-separated origins allowed by CORS, or `*` |
/// | `TRUSTED_PROXIES` | `127.0.0.0/8,::1/128` | CIDRs whose `X-Forwarded-*` headers are believed |
/// | `API_MAX_BODY_BYTES` | `5242880` | largest JSON request body (413 above) |
/// | `SSE_HEARTBEAT_SECONDS` | `15` | comment interval on idle event streams |
/// | `KEY_ROTATION_GRACE_SECONDS` | `0` | how long a rotated key's old secret keeps working after the rotation is confirmed (0–604800; 0 ends it at once) |
/// | `METRICS_TOKEN` | unset (`/metrics` refused) | bearer token Prometheus presents for `GET /metrics` (≥ 16 characters) |
/// | `REQUEST_BODY_TIMEOUT_SECONDS` | `60` | how long a request body (or a gRPC message) may take to arrive (1–3600) |
/// | `CONVERSATION_EVENT_RETENTION_HOURS` | `168` | how long conversation events stay resumable (1–87600) |
/// | `CONVERSATION_WATCHER_BUFFER` | `1000` | events that may wait for one slow watcher before it is disconnected with its position (10–100000) |
/// | `STORAGE_PATH` | `./storage` | directory for uploaded documents' original bytes |
/// | `EMBEDDING_BASE_URL` | `OPENAI_BASE_URL`, else unset | OpenAI-compatible embeddings API including `/v1`; unset with no API key either: no embedder (full-text search only) |
/// | `EMBEDDING_API_KEY` | `OPENAI_API_KEY` | bearer token for it (with a key and no URL: `https://api.openai.com/v1`) |
/// | `EMBEDDING_MODEL` | `OPENAI_EMBEDDING_MODEL`, else `text-embedding-3-small` | model name sent and recorded per chunk |
/// | `OPENAI_API_KEY` | unset | the chat models' OpenAI key (with it, tenants without a provider use OpenAI; without, LOCAL); fallback for `EMBEDDING_API_KEY` |
/// | `OPENAI_BASE_URL` | unset (chat: `https://api.openai.com/v1`) | OpenAI-compatible chat API for OPENAI tenants without a base URL; fallback for `EMBEDDING_BASE_URL` |
/// | `OPENAI_MODEL` | `gpt-4o-mini` | chat model of tenants that name none |
/// | `ANTHROPIC_API_KEY` | unset | key for ANTHROPIC tenants without their own |
/// | `ANTHROPIC_BASE_URL` | `https://api.anthropic.com/v1` | Anthropic Messages API for ANTHROPIC tenants without a base URL |
/// | `ANTHROPIC_MODEL` | `claude-3-5-haiku-latest` | Anthropic model of tenants that name none |
/// | `LLM_PRICES` | empty (answers counted as unpriced) | what answers cost: `[provider:]model[*]=input/output` in dollars per million tokens, comma-separated |
/// | `OPENAI_EMBEDDING_MODEL` | `text-embedding-3-small` | fallback for `EMBEDDING_MODEL` |
/// | `INGEST_WORKERS` | `2` | ingestion jobs run at once per process (1–32) |
/// | `INGEST_LEASE_SECONDS` | `120` | how long a claimed ingestion job stays with a worker that makes no progress before another may take it (5–3600) |
/// | `SECRETS_ENCRYPTION_KEY` | unset (no secrets can be stored) | AES-256-GCM key sealing provider keys, channel tokens and webhook secrets at rest: 64 hex digits or base64 of 32 bytes; `serve` refuses to start without it once sealed secrets exist |
/// | `SECRETS_ENCRYPTION_OLD_KEYS` | empty | comma-separated earlier keys, still opened until `metachat secrets rewrap` seals everything under the current key |
/// | `RETENTION_CRON` | `0 3 * * *` | when retention runs (five cron fields, UTC); `off` disables the schedule (runs then only by `RunRetention` or `metachat retention run`) |
/// | `OUTBOUND_ALLOW_CIDRS` | empty | CIDRs that tenant-supplied URLs (LLM base URLs, webhook targets) may reach although they are loopback, private or link-local, e.g. `10.20.0.0/16` |
/// | `WEBHOOK_RETRY_MAX_ATTEMPTS` | `5` | attempts per webhook delivery, the first included (1–50) |
/// | `WEBHOOK_RETRY_INITIAL_DELAY_MS` | `1000` | delay after a delivery's first failed attempt, doubling per attempt (±20 %, at most 1 hour; 1–3600000) |
/// | `API_URL` | `http://localhost:3000` | the server's public base URL: channel callback URLs (`{API_URL}/api/channels/{id}/callback`) and the widget snippet start with it |
/// | `META_GRAPH_BASE_URL` | `https://graph.facebook.com` | Meta's Graph API (WhatsApp Cloud API, Messenger); tests point it at a local server |
/// | `META_GRAPH_API_VERSION` | `v21.0` | the Graph API version in request paths (`v` and a version number) |
/// | `RABBITMQ_URL` | unset (no event bus) | `amqp://user:password@host:port/vhost`: every event is also published there |
/// | `RABBITMQ_EXCHANGE` | `metachat.events` | the durable topic exchange events are published to |
///
/// The webhook and event-bus variables are read by ``EventsConfiguration``.
///
/// The conversation stream's heartbeats follow `SSE_HEARTBEAT_SECONDS` on every face.
struct AppConfiguration: Sendable {
    /// The listener settings.
    var server: RPCServerConfiguration
    /// `DASHBOARD_PORT`: the dashboard listener's port; `nil` when it is off.
    var dashboardPort: Int? = 3001
    /// The REST bridge settings.
    var rest: RESTConfiguration
    /// The PostgreSQL URI, if set.
    var databaseURL: String?
    /// `GLOBAL_API_KEY`: a bootstrap super-admin key; `nil` disables it.
    var globalAPIKey: String?
    /// The pepper for API-key and rotation-token hashes, if set.
    var apiKeyPepper: ApiKeyPepper?
    /// Where Redis listens.
    var redisURL: RedisURL
    /// The log level name.
    var logLevel: String
    /// The default rate limit per API key or client address.
    var rateLimit: RateLimitPolicy
    /// Failed key checks allowed per client address per minute; `nil` when disabled.
    var authFailureLimit: RateLimitPolicy?
    /// `METRICS_TOKEN`: the bearer token `/metrics` requires; `nil` refuses every scrape.
    var metricsToken: String?
    /// `KEY_ROTATION_GRACE_SECONDS`: how long a rotated key's old secret keeps working.
    var keyRotationGracePeriod: Duration = .zero
    /// The live conversation stream's settings.
    var conversationStream: ConversationStreamConfiguration = .defaults
    /// `STORAGE_PATH`: where documents' original bytes are kept.
    var storagePath = "./storage"
    /// The embeddings API, when one is configured.
    var embedding: (baseURL: String, apiKey: String, model: String)?
    /// The chat models' server defaults (`OPENAI_*`, `ANTHROPIC_*`).
    var chatProviders: ChatProviderDefaults = .offline
    /// `LLM_PRICES`: what answers cost.
    var modelPrices: ModelPriceTable = .none
    /// `INGEST_WORKERS`: ingestion jobs at once.
    var ingestWorkers = 2
    /// `INGEST_LEASE_SECONDS`: an ingestion job's lease.
    var ingestLease: Duration = .seconds(120)
    /// Webhook delivery and the event bus.
    var events: EventsConfiguration
    /// `SECRETS_ENCRYPTION_KEY` and `SECRETS_ENCRYPTION_OLD_KEYS`: the secrets envelope.
    var secrets = SecretsEnvelope(current: nil)
    /// `OUTBOUND_ALLOW_CIDRS`: where tenant-supplied URLs may reach beyond the public internet.
    var egress = EgressPolicy()
    /// `RETENTION_CRON`: when retention runs; `nil` when the schedule is off.
    var retentionSchedule: CronSchedule?
    /// Retention where tenants do not set it; the events' window follows the stream's.
    var retention = RetentionDefaults()
    /// `API_URL`, `META_GRAPH_BASE_URL`, `META_GRAPH_API_VERSION`: where channels are reached.
    var channels = ChannelConfiguration.defaults

    /// Reads and validates the environment.
    ///
    /// - Parameter environment: The process environment.
    /// - Throws: ``ConfigurationError`` naming the variable at fault.
    init(environment: [String: String]) throws {
        var server = RPCServerConfiguration.defaults
        if let host = environment["HOST"], !host.isEmpty {
            server.host = host
        }
        if let portText = environment["PORT"], !portText.isEmpty {
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw ConfigurationError(
                    variable: "PORT", problem: "must be a number from 1 to 65535, not '\(portText)'")
            }
            server.port = port
        }
        self.server = server
        if let text = environment["DASHBOARD_PORT"], !text.isEmpty {
            if text.lowercased() == "off" {
                self.dashboardPort = nil
            } else {
                guard text.count <= 5, let port = Int(text), (1...65535).contains(port) else {
                    throw ConfigurationError(
                        variable: "DASHBOARD_PORT",
                        problem: "must be a number from 1 to 65535 or `off`, not '\(text.prefix(20))'")
                }
                self.dashboardPort = port
            }
        }
        if let dashboardPort = self.dashboardPort, dashboardPort == server.port {
            throw ConfigurationError(
                variable: "DASHBOARD_PORT",
                problem: "must differ from PORT (\(server.port)); set it to another port or `off`")
        }
        self.events = try EventsConfiguration(environment: environment)
        self.databaseURL = environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let databaseURL = self.databaseURL,
            !(databaseURL.hasPrefix("postgresql://") || databaseURL.hasPrefix("postgres://"))
        {
            throw ConfigurationError(variable: "DATABASE_URL", problem: "must start with postgresql://")
        }
        self.globalAPIKey = environment["GLOBAL_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        if let key = self.globalAPIKey, key.utf8.count < 32 {
            throw ConfigurationError(
                variable: "GLOBAL_API_KEY", problem: "must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        }
        if let pepperText = environment["API_KEY_PEPPER"], !pepperText.isEmpty {
            do {
                self.apiKeyPepper = try ApiKeyPepper(text: pepperText)
            } catch {
                throw ConfigurationError(variable: "API_KEY_PEPPER", problem: "\(error)")
            }
        }
        let redisText = environment["REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "redis://127.0.0.1:6379/0"
        // Neither message repeats the value: it may hold a password.
        if RedisURL.isTLSScheme(redisText) {
            throw ConfigurationError(
                variable: "REDIS_URL",
                problem:
                    "uses rediss:// (TLS), which this build cannot speak (Debian's hiredis 0.14 has no TLS); run a TLS "
                    + "proxy such as stunnel on 127.0.0.1 in front of Redis and set REDIS_URL to its redis:// address "
                    + "(see docs/redis.md)"
            )
        }
        guard let redisURL = RedisURL(redisText) else {
            throw ConfigurationError(
                variable: "REDIS_URL",
                problem:
                    "must look like redis://[user[:password]@]host[:port][/db] (percent-encode reserved characters)"
            )
        }
        self.redisURL = redisURL
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        let level = environment["LOG_LEVEL"]?.lowercased() ?? "info"
        guard levels.contains(level) else {
            throw ConfigurationError(variable: "LOG_LEVEL", problem: "must be one of \(levels.joined(separator: ", "))")
        }
        self.logLevel = level
        do {
            self.rateLimit = try RateLimitPolicy.fromEnvironment(environment)
        } catch {
            throw ConfigurationError(variable: error.variable, problem: error.problem)
        }
        self.authFailureLimit = try Self.authFailureLimit(environment: environment)
        self.rest = try Self.restConfiguration(environment: environment)
        self.server.maxRequestBodyBytes = self.rest.maxBodyBytes
        // One list for every face: REST, gRPC and gRPC-Web find the client the same way.
        self.server.trustedProxies = self.rest.trustedProxies
        if let text = environment["KEY_ROTATION_GRACE_SECONDS"], !text.isEmpty {
            guard text.count <= 6, let seconds = Int(text), (0...604_800).contains(seconds) else {
                throw ConfigurationError(
                    variable: "KEY_ROTATION_GRACE_SECONDS",
                    problem: "must be a whole number of seconds from 0 to 604800 (7 days), not '\(text)'")
            }
            self.keyRotationGracePeriod = .seconds(seconds)
        }
        self.metricsToken = environment["METRICS_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let token = self.metricsToken, token.utf8.count < 16 || token.contains(where: \.isWhitespace) {
            throw ConfigurationError(
                variable: "METRICS_TOKEN",
                problem: "must be at least 16 characters without spaces (e.g. `openssl rand -hex 32`)")
        }
        if let text = environment["REQUEST_BODY_TIMEOUT_SECONDS"], !text.isEmpty {
            guard text.count <= 4, let seconds = Int(text), (1...3600).contains(seconds) else {
                throw ConfigurationError(
                    variable: "REQUEST_BODY_TIMEOUT_SECONDS",
                    problem: "must be a whole number of seconds from 1 to 3600, not '\(text)'")
            }
            self.server.requestBodyTimeout = .seconds(seconds)
        }
        self.conversationStream.heartbeatInterval = self.rest.heartbeatInterval
        if let text = environment["CONVERSATION_EVENT_RETENTION_HOURS"], !text.isEmpty {
            guard text.count <= 5, let hours = Int(text), (1...87_600).contains(hours) else {
                throw ConfigurationError(
                    variable: "CONVERSATION_EVENT_RETENTION_HOURS",
                    problem: "must be a whole number of hours from 1 to 87600, not '\(text)'")
            }
            self.conversationStream.retention = .seconds(hours * 3600)
            self.retention.eventRetention = .seconds(hours * 3600)
        }
        if let path = environment["STORAGE_PATH"], !path.isEmpty {
            self.storagePath = path
        }
        let embeddingURL =
            environment["EMBEDDING_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["OPENAI_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let embeddingKey =
            environment["EMBEDDING_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["OPENAI_API_KEY"] ?? ""
        if embeddingURL != nil || !embeddingKey.isEmpty {
            let url = embeddingURL ?? "https://api.openai.com/v1"
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw ConfigurationError(variable: "EMBEDDING_BASE_URL", problem: "must be an http(s) URL")
            }
            let model =
                environment["EMBEDDING_MODEL"].flatMap { $0.isEmpty ? nil : $0 }
                ?? environment["OPENAI_EMBEDDING_MODEL"].flatMap { $0.isEmpty ? nil : $0 } ?? "text-embedding-3-small"
            self.embedding = (url, embeddingKey, model)
        }
        try self.readChatProviders(environment)
        if let text = environment["INGEST_WORKERS"], !text.isEmpty {
            guard let workers = Int(text), (1...32).contains(workers) else {
                throw ConfigurationError(variable: "INGEST_WORKERS", problem: "must be a whole number from 1 to 32")
            }
            self.ingestWorkers = workers
        }
        if let text = environment["INGEST_LEASE_SECONDS"], !text.isEmpty {
            guard let seconds = Int(text), (5...3600).contains(seconds) else {
                throw ConfigurationError(
                    variable: "INGEST_LEASE_SECONDS", problem: "must be a whole number from 5 to 3600")
            }
            self.ingestLease = .seconds(seconds)
        }
        try self.readOutboundSettings(environment)
        try self.readChannelSettings(environment)
        let cron = environment["RETENTION_CRON"].flatMap { $0.isEmpty ? nil : $0 } ?? "0 3 * * *"
        if cron.lowercased() != "off" {
            do {
                self.retentionSchedule = try CronSchedule(cron)
            } catch {
                throw ConfigurationError(variable: "RETENTION_CRON", problem: "\(error) (e.g. `0 3 * * *`, or `off`)")
            }
        }
        if let text = environment["CONVERSATION_WATCHER_BUFFER"], !text.isEmpty {
            guard text.count <= 6, let events = Int(text), (10...100_000).contains(events) else {
                throw ConfigurationError(
                    variable: "CONVERSATION_WATCHER_BUFFER",
                    problem: "must be a whole number of events from 10 to 100000, not '\(text)'")
            }
            self.conversationStream.watcherCapacity = events
        }
    }

    private static func authFailureLimit(environment: [String: String]) throws -> RateLimitPolicy? {
        guard let text = environment["AUTH_FAILURE_LIMIT"], !text.isEmpty else {
            return RateLimitPolicy(requests: 60, windowMilliseconds: 60_000)
        }
        guard let limit = Int(text), (0...1_000_000).contains(limit) else {
            throw ConfigurationError(
                variable: "AUTH_FAILURE_LIMIT", problem: "must be a whole number from 0 to 1000000, not '\(text)'")
        }
        return limit == 0 ? nil : RateLimitPolicy(requests: limit, windowMilliseconds: 60_000)
    }

    private static func restConfiguration(environment: [String: String]) throws -> RESTConfiguration {
        var rest = RESTConfiguration()
        rest.cors = CORSPolicy(list: environment["API_CORS_ORIGINS"] ?? "")
        if let proxies = environment["TRUSTED_PROXIES"] {
            var networks: [IPNetwork] = []
            for item in proxies.split(separator: ",") {
                let text = String(item.filter { !$0.isWhitespace })
                guard let network = IPNetwork(text) else {
                    throw ConfigurationError(
                        variable: "TRUSTED_PROXIES", problem: "must list CIDRs such as 10.0.0.0/8; '\(text)' is not one"
                    )
                }
                networks.append(network)
            }
            rest.trustedProxies = networks
        }
        if let text = environment["API_MAX_BODY_BYTES"], !text.isEmpty {
            guard let bytes = Int(text), bytes > 0 else {
                throw ConfigurationError(variable: "API_MAX_BODY_BYTES", problem: "must be a positive number of bytes")
            }
            rest.maxBodyBytes = bytes
        }
        if let text = environment["SSE_HEARTBEAT_SECONDS"], !text.isEmpty {
            guard let seconds = Double(text), seconds > 0, seconds <= 3600 else {
                throw ConfigurationError(
                    variable: "SSE_HEARTBEAT_SECONDS", problem: "must be a number of seconds from 0 to 3600")
            }
            rest.heartbeatInterval = .milliseconds(Int(seconds * 1000))
        }
        return rest
    }
}

/// A configuration variable has a value the server cannot use.
extension AppConfiguration {
    /// Reads the secrets envelope's keys and the egress allow-list.
    fileprivate mutating func readOutboundSettings(_ environment: [String: String]) throws {
        var current: SecretsEncryptionKey?
        if let text = environment["SECRETS_ENCRYPTION_KEY"], !text.isEmpty {
            do {
                current = try SecretsEncryptionKey(text: text)
            } catch {
                throw ConfigurationError(variable: "SECRETS_ENCRYPTION_KEY", problem: "\(error)")
            }
        }
        var old: [SecretsEncryptionKey] = []
        if let text = environment["SECRETS_ENCRYPTION_OLD_KEYS"] {
            for (index, item) in text.split(separator: ",").enumerated() {
                do {
                    old.append(try SecretsEncryptionKey(text: String(item)))
                } catch {
                    throw ConfigurationError(
                        variable: "SECRETS_ENCRYPTION_OLD_KEYS", problem: "entry \(index + 1): \(error)")
                }
            }
        }
        self.secrets = SecretsEnvelope(current: current, old: old)
        if let text = environment["OUTBOUND_ALLOW_CIDRS"] {
            var networks: [IPNetwork] = []
            for item in text.split(separator: ",") {
                let cidr = String(item.filter { !$0.isWhitespace })
                guard let network = IPNetwork(cidr) else {
                    throw ConfigurationError(
                        variable: "OUTBOUND_ALLOW_CIDRS",
                        problem: "must list CIDRs such as 10.0.0.0/8; '\(cidr)' is not one")
                }
                networks.append(network)
            }
            self.egress = EgressPolicy(allowedNetworks: networks)
        }
    }
}

extension AppConfiguration {
    /// Reads `API_URL`, `META_GRAPH_BASE_URL` and `META_GRAPH_API_VERSION`.
    fileprivate mutating func readChannelSettings(_ environment: [String: String]) throws {
        for variable in ["API_URL", "META_GRAPH_BASE_URL"] {
            guard let text = environment[variable], !text.isEmpty else { continue }
            guard let url = OutboundURL(text), !text.contains("?"), !text.contains("#") else {
                throw ConfigurationError(
                    variable: variable, problem: "must be an absolute http(s) URL without query or fragment")
            }
            _ = url
        }
        if let text = environment["API_URL"], !text.isEmpty {
            self.channels.publicBaseURL = text
        }
        if let text = environment["META_GRAPH_BASE_URL"], !text.isEmpty {
            self.channels.graphBaseURL = text
        }
        if let text = environment["META_GRAPH_API_VERSION"], !text.isEmpty {
            let digits = text.dropFirst()
            guard text.hasPrefix("v"), text.count <= 16, !digits.isEmpty,
                digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") })
            else {
                throw ConfigurationError(variable: "META_GRAPH_API_VERSION", problem: "must look like v21.0")
            }
            self.channels.graphVersion = text
        }
    }
}

struct ConfigurationError: Error, CustomStringConvertible {
    /// The environment variable's name.
    var variable: String
    /// What is wrong with its value.
    var problem: String

    var description: String { "\(self.variable) \(self.problem)" }
}

extension AppConfiguration {
    /// Reads `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_MODEL`, `ANTHROPIC_API_KEY`,
    /// `ANTHROPIC_BASE_URL` and `ANTHROPIC_MODEL`.
    fileprivate mutating func readChatProviders(_ environment: [String: String]) throws {
        func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
        let openAIBaseURL = nonEmpty(environment["OPENAI_BASE_URL"])
        let anthropicBaseURL = nonEmpty(environment["ANTHROPIC_BASE_URL"])
        for (name, url) in [("OPENAI_BASE_URL", openAIBaseURL), ("ANTHROPIC_BASE_URL", anthropicBaseURL)] {
            if let url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                throw ConfigurationError(variable: name, problem: "must be an http(s) URL")
            }
        }
        let openAIModel = nonEmpty(environment["OPENAI_MODEL"])
        let anthropicModel = nonEmpty(environment["ANTHROPIC_MODEL"])
        for (name, model) in [("OPENAI_MODEL", openAIModel), ("ANTHROPIC_MODEL", anthropicModel)] {
            if let model, model.count > 200 {
                throw ConfigurationError(variable: name, problem: "must be at most 200 characters")
            }
        }
        self.chatProviders = ChatProviderDefaults(
            openAIKey: nonEmpty(environment["OPENAI_API_KEY"]) ?? "",
            openAIBaseURL: openAIBaseURL ?? ChatProviderDefaults.openAIBaseURL,
            openAIModel: openAIModel ?? "gpt-4o-mini",
            anthropicKey: nonEmpty(environment["ANTHROPIC_API_KEY"]) ?? "",
            anthropicBaseURL: anthropicBaseURL ?? ChatProviderDefaults.anthropicBaseURL,
            anthropicModel: anthropicModel ?? "claude-3-5-haiku-latest")
        do {
            self.modelPrices = try ModelPriceTable(environment["LLM_PRICES"] ?? "")
        } catch {
            throw ConfigurationError(variable: "LLM_PRICES", problem: error.description)
        }
    }
}
