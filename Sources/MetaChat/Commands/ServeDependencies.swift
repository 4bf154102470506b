internal import AsyncHTTPClient
internal import Handlers
internal import Logging
internal import Monitoring
internal import NIOCore
internal import NIOPosix
internal import RPCServer
internal import ServiceLifecycle
internal import Storage

/// The long-lived parts `serve` builds once: PostgreSQL and Redis pools, the Redis subscriber,
/// the key cache with its cross-instance invalidation, the batched `last_used_at` writer, the
/// rate limiter, the threads of the health probes, and the live conversation stream with its
/// event pruner.
///
/// Building them starts nothing: each long-running part is a `Service` that starts when the
/// `ServiceGroup` in `serve` runs it and stops when the group shuts down (``services``).
struct ServeDependencies {
    let postgres: PostgresPool
    let redis: RedisPool
    let subscriber: RedisSubscriber
    let keys: KeyDirectory
    let usage: KeyUsageRecorder
    let invalidation: RedisKeyInvalidation
    let rateLimiterHealth: RateLimiterHealth
    let rateLimiter: RateLimiter
    /// The live conversation stream (Redis fan-out, PostgreSQL polling, heartbeats).
    let conversationEvents: ConversationEventHub
    /// Deletes conversation events older than the stream's retention.
    let conversationEventPruner: ConversationEventPruner
    /// Runs the health probes' blocking pings (libpq's `PQping`, hiredis' `PING`), so a slow
    /// dependency never holds a thread the pools need.
    let probeThreadPool: NIOThreadPool
    /// Outbound HTTP (the embeddings API).
    let http: HTTPClient
    /// Resolves tenant-supplied host names for the egress guard.
    let resolverThreadPool: NIOThreadPool
    /// Outbound HTTP with the egress guard in front of tenant-supplied URLs.
    let outbound: OutboundHTTPClient
    /// Writes the API log in batches.
    let apiLog: ApiLogRecorder
    /// Runs retention.
    let retention: RetentionRunner
    /// Retention runs started by the API.
    let retentionJobs: RetentionJobs
    /// Starts retention at `RETENTION_CRON`; `nil` when the schedule is off.
    let retentionScheduler: RetentionScheduler?
    /// Where documents' original bytes are kept.
    let documentFiles: DocumentFileStore
    /// Embeds chunks and queries; `nil` without an embeddings API (full-text search only).
    let embedder: (any TextEmbedder)?
    /// Answers SearchDocuments (and later the orchestrator).
    let retriever: DocumentRetriever
    /// Runs the durable ingestion jobs.
    let ingestionWorker: DocumentIngestionWorker
    /// The connections that hold the conversations' turn locks (one per conversation with a turn
    /// running on this server), apart from the main pool so waiting turns never starve it.
    let turnLockPool: PostgresPool
    /// Answers chat messages (ChatService).
    let orchestrator: ChatOrchestrator
    /// Outbound HTTP for webhooks: the egress guard in front, no redirects followed.
    let webhookOutbound: OutboundHTTPClient
    /// Makes webhook attempts.
    let webhookSender: WebhookSender
    /// Seals and opens webhook signing secrets.
    let webhookSecrets: any WebhookSecretSealing
    /// Refuses webhook URLs outside the egress policy.
    let webhookDestinations: any WebhookDestinationCheck
    /// Fans outbox events out to webhooks and delivers them.
    let webhookRelay: WebhookRelay
    /// Whether RabbitMQ takes events; `nil` without `RABBITMQ_URL`.
    let eventBusHealth: EventBusHealth?
    /// Publishes outbox events to RabbitMQ; `nil` without `RABBITMQ_URL`.
    let eventBusRelay: OutboxBusRelay?
    /// Deletes handled outbox events and old deliveries.
    let outboxPruner: OutboxPruner
    /// Runs librabbitmq's blocking calls.
    let eventBusThreadPool: NIOThreadPool
    /// Seals and opens channel credentials.
    let channelSealing: ChannelSecretSealing
    /// Reaches the Graph API (`META_GRAPH_BASE_URL`).
    let graph: OutboundGraphAPITransport
    /// Processes stored Meta callbacks and sends channel replies.
    let channelWorker: ChannelWorker

    /// Builds the parts; nothing connects or starts a thread yet.
    ///
    /// - Parameters:
    ///   - databaseURL: `DATABASE_URL`.
    ///   - redisURL: `REDIS_URL`.
    ///   - conversationStream: The live conversation stream's settings.
    ///   - logger: The server's logger.
    /// - Throws: When the Redis subscriber cannot be configured.
    init(
        databaseURL: String, redisURL: RedisURL, conversationStream: ConversationStreamConfiguration = .defaults,
        storagePath: String = "./storage", embedding: (baseURL: String, apiKey: String, model: String)? = nil,
        ingestWorkers: Int = 2, ingestLease: Duration = .seconds(120), chatProviders: ChatProviderDefaults = .offline,
        modelPrices: ModelPriceTable = .none, egress: EgressPolicy = EgressPolicy(), events: EventsConfiguration,
        secrets: SecretsEnvelope,
        retention: RetentionDefaults = RetentionDefaults(), retentionSchedule: CronSchedule? = nil,
        channels: ChannelConfiguration = .defaults, apiLogRoutes: [String: String] = [:],
        httpStatus: @escaping @Sendable (RPCError.Code) -> Int = { _ in 200 },
        metrics: PlatformMetrics = .unobserved(),
        logger: Logger
    ) throws {
        self.postgres = PostgresPool(configuration: .init(url: databaseURL), logger: logger)
        self.redis = RedisPool(configuration: .init(url: redisURL), logger: logger)
        self.subscriber = try RedisSubscriber(configuration: .init(url: redisURL), logger: logger)
        self.keys = KeyDirectory(pool: self.postgres)
        self.usage = KeyUsageRecorder(pool: self.postgres, flushInterval: .seconds(30))
        self.invalidation = RedisKeyInvalidation(
            directory: self.keys,
            redis: self.redis,
            subscriber: self.subscriber,
            logger: logger
        )
        self.rateLimiterHealth = RateLimiterHealth()
        self.rateLimiter = RateLimiter(redis: self.redis, health: self.rateLimiterHealth, logger: logger)
        self.probeThreadPool = NIOThreadPool(numberOfThreads: 2)
        self.resolverThreadPool = NIOThreadPool(numberOfThreads: 2)
        self.outbound = OutboundHTTPClient(
            policy: egress, resolver: SystemHostResolver(threadPool: self.resolverThreadPool))
        self.conversationEvents = ConversationEventHub(
            pool: self.postgres, redis: self.redis, subscriber: self.subscriber, configuration: conversationStream,
            escalations: metrics.escalations, logger: logger)
        self.conversationEventPruner = ConversationEventPruner(
            pool: self.postgres, configuration: conversationStream, logger: logger)
        self.apiLog = ApiLogRecorder(
            pool: self.postgres, routes: apiLogRoutes, httpStatus: httpStatus, logger: logger)
        self.retention = RetentionRunner(
            pool: self.postgres, defaults: retention, events: self.conversationEventPruner,
            metrics: metrics.retention, logger: logger)
        self.retentionJobs = RetentionJobs(runner: self.retention)
        let runner = self.retention
        self.retentionScheduler = retentionSchedule.map {
            RetentionScheduler(schedule: $0, runner: runner, logger: logger)
        }
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.timeout = .init(connect: .seconds(10), read: .seconds(120))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        let postgres = self.postgres
        let files = DocumentFileStore(root: storagePath)
        let serverEmbedding = embedding.map {
            OpenAIEmbeddingClient.Configuration(baseURL: $0.baseURL, apiKey: $0.apiKey, model: $0.model)
        }
        let embedder: (any TextEmbedder)? = serverEmbedding.map { OpenAIEmbeddingClient(configuration: $0, http: http) }
        // Tenants' own embedding base URLs go through the egress check, like their LLM base URLs.
        let embedders = TenantEmbedderDirectory(
            server: serverEmbedding, serverTransport: DirectModelHTTPTransport(http: http),
            tenantTransport: self.outbound, secrets: secrets)
        self.http = http
        self.documentFiles = files
        self.embedder = embedder
        self.retriever = DocumentRetriever(pool: postgres, embedders: embedders, logger: logger)
        self.ingestionWorker = DocumentIngestionWorker(
            ingestor: DocumentIngestor(
                pool: postgres, files: files, embedders: embedders, temporaryDirectory: storagePath + "/tmp",
                lease: ingestLease, metrics: metrics.ingestion, logger: logger),
            pool: postgres, concurrency: ingestWorkers, logger: logger)
        var lockOptions = PostgresPool.Configuration.Options.defaults
        lockOptions.maximumConnections = 32
        lockOptions.applicationName = "metachat-turns"
        lockOptions.statementTimeout = nil
        self.turnLockPool = PostgresPool(configuration: .init(url: databaseURL, options: lockOptions), logger: logger)
        var chatConfiguration = ChatOrchestrator.Configuration.defaults
        chatConfiguration.prices = modelPrices
        self.orchestrator = ChatOrchestrator(
            pool: postgres, events: self.conversationEvents, retriever: self.retriever,
            models: ChatModelDirectory(
                defaults: chatProviders, transport: self.outbound, breaker: CircuitBreaker(), secrets: secrets),
            turns: ConversationTurnLock(pool: self.turnLockPool),
            configuration: chatConfiguration, metrics: metrics.chat)
        var webhookOutbound = OutboundHTTPClient.Configuration()
        webhookOutbound.connectTimeout = .seconds(5)
        // Endpoints on one host share a client's pool for that host: it must never be what limits
        // them, or a hanging endpoint would hold up its neighbours (the relay bounds each endpoint).
        webhookOutbound.connectionsPerHost = events.webhooks.concurrency
        // A redirect would lead a signed event somewhere the tenant did not name.
        webhookOutbound.followsRedirects = false
        self.webhookOutbound = OutboundHTTPClient(
            policy: egress, resolver: SystemHostResolver(threadPool: self.resolverThreadPool),
            configuration: webhookOutbound)
        self.webhookSender = WebhookSender(
            transport: OutboundWebhookTransport(client: self.webhookOutbound), timeout: events.webhooks.attemptTimeout)
        self.webhookSecrets = EnvelopeWebhookSecrets(envelope: secrets)
        self.webhookDestinations = OutboundWebhookDestinations(client: self.webhookOutbound)
        self.webhookRelay = WebhookRelay(
            pool: postgres, sender: self.webhookSender, sealing: self.webhookSecrets, configuration: events.webhooks,
            metrics: metrics.webhooks, logger: logger)
        self.outboxPruner = OutboxPruner(pool: postgres, logger: logger)
        self.channelSealing = ChannelSecretSealing(envelope: secrets)
        self.graph = OutboundGraphAPITransport(
            client: self.outbound, baseURL: channels.graphBaseURL, version: channels.graphVersion)
        self.channelWorker = ChannelWorker(
            pool: postgres, orchestrator: self.orchestrator, events: self.conversationEvents,
            sealing: self.channelSealing, graph: self.graph, logger: logger)
        self.eventBusThreadPool = NIOThreadPool(numberOfThreads: 1)
        if let url = events.rabbitMQ {
            let health = EventBusHealth()
            self.eventBusHealth = health
            self.eventBusRelay = OutboxBusRelay(
                pool: postgres,
                publisher: RabbitMQPublisher(url: url, exchange: events.exchange, threadPool: self.eventBusThreadPool),
                health: health, logger: logger)
        } else {
            self.eventBusHealth = nil
            self.eventBusRelay = nil
        }
    }

    /// The services in start order; the group shuts them down in reverse: the conversation stream
    /// first (it ends every watcher with its position, so those long calls do not hold up the
    /// server's drain), then the server, the event pruner, the rate limiter's renewals, the last
    /// `last_used_at` batch, the invalidation listener, the subscriber, the probes' threads, and
    /// the pools last.
    ///
    /// - Parameter server: The RPC server, which uses all of them.
    func services(around server: some Service, dashboard: (any Service)? = nil) -> [any Service] {
        var services: [any Service] = [
            self.postgres,
            self.turnLockPool,
            self.apiLog,
            self.redis,
            ThreadPoolService(threadPool: self.probeThreadPool),
            ThreadPoolService(threadPool: self.resolverThreadPool),
            self.outbound,
            self.subscriber,
            self.invalidation,
            self.usage,
            self.rateLimiter,
            self.conversationEventPruner,
            HTTPClientService(client: self.http),
            self.ingestionWorker,
            self.retentionJobs,
            self.webhookOutbound,
            ThreadPoolService(threadPool: self.eventBusThreadPool),
            self.webhookRelay,
            self.outboxPruner,
            self.channelWorker,
        ]
        if let relay = self.eventBusRelay { services.append(relay) }
        if let scheduler = self.retentionScheduler { services.append(scheduler) }
        services += [server, self.conversationEvents] as [any Service]
        if let dashboard { services.append(dashboard) }
        return services
    }
}
