internal import ArgumentParser
internal import Dashboard
internal import Dispatch
internal import FoundationEssentials
internal import Handlers
internal import Logging
internal import MetaChatAPI
internal import Monitoring
internal import Prometheus
internal import RESTBridge
internal import RPCServer
internal import ServiceLifecycle
internal import Storage
internal import UnixSignals

/// `metachat serve`: runs the server and everything it needs as one `ServiceGroup` until SIGINT
/// or SIGTERM, then shuts them down gracefully in reverse start order and exits 0.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve gRPC and REST on one port (HOST, PORT, DATABASE_URL, REDIS_URL)."
    )

    func run() async throws {
        let startedAt = ContinuousClock.now
        let configuration: AppConfiguration
        do {
            configuration = try AppConfiguration(environment: ProcessInfo.processInfo.environment)
        } catch {
            var standardError = StandardError()
            print("metachat serve: \(error)", to: &standardError)
            throw ExitCode(78)  // EX_CONFIG
        }
        guard let databaseURL = configuration.databaseURL else {
            var standardError = StandardError()
            print(
                "metachat serve: DATABASE_URL is required (postgresql://user:password@host:port/db)", to: &standardError
            )
            throw ExitCode(78)
        }
        guard let pepper = configuration.apiKeyPepper else {
            var standardError = StandardError()
            print(
                "metachat serve: API_KEY_PEPPER is required (64 hex digits, e.g. `openssl rand -hex 32`); "
                    + "API keys are stored as HMACs under it",
                to: &standardError
            )
            throw ExitCode(78)
        }
        var configuredLogger = Logger(label: "metachat")
        configuredLogger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
        let logger = configuredLogger

        try await Self.checkSecrets(databaseURL: databaseURL, envelope: configuration.secrets, logger: logger)
        // Every metric lives on this one registry, handed to the parts that produce them; nothing
        // is bootstrapped globally (docs/metrics.md).
        let registry = PrometheusCollectorRegistry()
        let platformMetrics = PlatformMetrics(registry: registry)
        let dependencies = try ServeDependencies(
            databaseURL: databaseURL,
            redisURL: configuration.redisURL,
            conversationStream: configuration.conversationStream,
            storagePath: configuration.storagePath,
            embedding: configuration.embedding,
            ingestWorkers: configuration.ingestWorkers,
            ingestLease: configuration.ingestLease,
            chatProviders: configuration.chatProviders,
            modelPrices: configuration.modelPrices,
            egress: configuration.egress,
            events: configuration.events,
            secrets: configuration.secrets,
            retention: configuration.retention,
            retentionSchedule: configuration.retentionSchedule,
            channels: configuration.channels,
            apiLogRoutes: Self.routeTemplates(),
            httpStatus: { $0.httpStatus },
            metrics: platformMetrics,
            logger: logger
        )
        let system = SystemHandler(
            version: metaChatVersion,
            startedAt: startedAt,
            database: PostgresProbe(databaseURL: databaseURL, threadPool: dependencies.probeThreadPool),
            redis: RedisProbe(url: configuration.redisURL, threadPool: dependencies.probeThreadPool),
            rateLimits: dependencies.rateLimiterHealth,
            conversationEvents: dependencies.conversationEvents.health,
            eventBus: dependencies.eventBusHealth
        )
        var routes = RawRouteTable()
        HealthRoutes.register(in: &routes, handler: system)
        ChannelCallbackRoutes.register(
            in: &routes,
            receiver: MetaCallbackReceiver(pool: dependencies.postgres, sealing: dependencies.channelSealing))
        let widget = WidgetGateway(
            pool: dependencies.postgres, signer: VisitorTokenSigner(pepper: pepper.bytes),
            orchestrator: dependencies.orchestrator, hub: dependencies.conversationEvents,
            limiter: dependencies.rateLimiter,
            addresses: ClientAddressResolver(trustedProxies: configuration.rest.trustedProxies), logger: logger)
        WidgetRoutes.register(in: &routes, gateway: widget)
        DocumentFileRoutes.register(in: &routes)
        var sockets = WebSocketRouteTable()
        WidgetRoutes.register(in: &sockets, gateway: widget)
        var router = RPCRouter()
        system.registerMethods(with: &router)
        let security = SecurityHandler(
            pool: dependencies.postgres,
            pepper: pepper.bytes,
            rotationGracePeriod: configuration.keyRotationGracePeriod,
            keyEvents: dependencies.invalidation
        )
        security.registerMethods(with: &router)
        let tenants = TenantHandler(
            pool: dependencies.postgres, secrets: configuration.secrets, outbound: dependencies.outbound,
            changes: dependencies.invalidation
        )
        tenants.registerMethods(with: &router)
        let conversations = ConversationHandler(pool: dependencies.postgres, hub: dependencies.conversationEvents)
        conversations.registerMethods(with: &router)
        AdminHandler(pool: dependencies.postgres, jobs: dependencies.retentionJobs).registerMethods(with: &router)
        DocumentHandler(
            pool: dependencies.postgres, files: dependencies.documentFiles, retriever: dependencies.retriever
        )
        .registerMethods(with: &router)
        ChatHandler(pool: dependencies.postgres, orchestrator: dependencies.orchestrator).registerMethods(with: &router)
        WebhookHandler(
            pool: dependencies.postgres, sender: dependencies.webhookSender, sealing: dependencies.webhookSecrets,
            destinations: dependencies.webhookDestinations, configuration: configuration.events.webhooks
        )
        .registerMethods(with: &router)
        ChannelHandler(
            pool: dependencies.postgres, sealing: dependencies.channelSealing, graph: dependencies.graph,
            configuration: configuration.channels
        )
        .registerMethods(with: &router)
        let interceptors: [any ServerInterceptor] = [
            AuthenticationInterceptor(
                directory: dependencies.keys,
                usage: dependencies.usage,
                pepper: pepper.bytes,
                globalAPIKey: configuration.globalAPIKey,
                failureLimit: configuration.authFailureLimit.map {
                    FailedAuthenticationLimit(limiter: dependencies.rateLimiter, policy: $0)
                }
            ),
            ApiLogInterceptor(recorder: dependencies.apiLog),
            RateLimitInterceptor(
                limiter: dependencies.rateLimiter,
                defaults: configuration.rateLimit
            ),
        ]
        let metrics = PrometheusRPCMetrics(registry: registry)
        let postgres = dependencies.postgres
        let redis = dependencies.redis
        let backlog = BacklogMetrics(registry: registry)
        let backlogReader = BacklogReader(pool: postgres)
        MetricsRoute.register(in: &routes, registry: registry, token: configuration.metricsToken) {
            backlog.update(try? await backlogReader.read())
            return postgres.usage.prometheusText(prefix: "metachat_postgres_pool")
                + postgres.waitTotals.prometheusText(prefix: "metachat_postgres_pool")
                + redis.waitTotals.prometheusText(prefix: "metachat_redis_pool")
                + redis.commandStatistics.prometheusText(prefix: "metachat_redis_command")
        }
        try OpenAPIRoute.register(in: &routes, routes: MetaChatRESTRoutes.all, router: router)

        let dispatcher = RPCDispatcher(router: router, interceptors: interceptors)
        let schema = try SchemaRegistry(descriptorSets: [MetaChatDescriptorSet.bytes])
        let gateway = try RESTGateway(
            routes: MetaChatRESTRoutes.all,
            dispatcher: dispatcher,
            schema: schema,
            rawRoutes: routes,
            configuration: configuration.rest,
            metrics: metrics,
            logger: logger
        )
        let server = RPCServer(
            configuration: configuration.server,
            router: router,
            interceptors: interceptors,
            responder: gateway,
            webSockets: sockets,
            reflection: try ReflectionService(descriptorSets: [MetaChatDescriptorSet.bytes]),
            metrics: metrics,
            logger: logger
        )
        let dashboard = try configuration.dashboardPort.map { port in
            try Self.dashboardServer(
                port: port, configuration: configuration, dependencies: dependencies, tenants: tenants,
                conversations: conversations, security: security, logger: logger)
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: dependencies.services(around: server, dashboard: dashboard).map {
                    // Any part that stops on its own (the server failing to bind, say) takes
                    // the others down gracefully with it.
                    .init(
                        service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup)
                },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        logger.info("stopped")
    }

    /// The dashboard's listener: the same server code on its own port (one event loop), answering
    /// with the dashboard's pages over the same handlers as the API (docs/dashboard.md).
    private static func dashboardServer(
        port: Int, configuration: AppConfiguration, dependencies: ServeDependencies, tenants: TenantHandler,
        conversations: ConversationHandler, security: SecurityHandler, logger: Logger
    ) throws -> RPCServer {
        var dashboardConfiguration = DashboardConfiguration.defaults
        dashboardConfiguration.trustedProxies = configuration.rest.trustedProxies
        let responder = try DashboardResponder(
            pool: dependencies.postgres, tenants: tenants, conversations: conversations, security: security,
            loginAttempts: dependencies.rateLimiter,
            configuration: dashboardConfiguration, logger: logger)
        var server = configuration.server
        server.port = port
        server.eventLoopThreads = 1
        server.maxRequestBodyBytes = FormFields.maximumBytes
        var dashboardLogger = logger
        dashboardLogger[metadataKey: "listener"] = "dashboard"
        return RPCServer(configuration: server, responder: responder, logger: dashboardLogger)
    }

    /// Refuses to start (exit 78) without `SECRETS_ENCRYPTION_KEY` when sealed secrets exist, and
    /// seals provider keys still stored as plaintext from before the envelope when a key is set.
    /// When PostgreSQL cannot be reached the check is left to the next start (the server starts
    /// degraded, as without the database).
    private static func checkSecrets(databaseURL: String, envelope: SecretsEnvelope, logger: Logger) async throws {
        var poolConfiguration = PostgresPool.Configuration(url: databaseURL)
        poolConfiguration.options.maximumConnections = 1
        let pool = PostgresPool(configuration: poolConfiguration, logger: logger)
        let keeper = SecretsKeeper(pool: pool, envelope: envelope)
        let outcome: Result<SecretsKeeper.Report?, any Error>
        do {
            try await keeper.requireKeyIfSealedDataExists()
            outcome = .success(envelope.current == nil ? nil : try await keeper.sealAll(rewrap: false))
        } catch {
            outcome = .failure(error)
        }
        await pool.shutdown()
        switch outcome {
        case .success(let report):
            if let report, report.sealedPlaintext > 0 {
                logger.notice("sealed \(report.sealedPlaintext) stored secret(s) kept as plaintext before")
            }
        case .failure(SecretsEnvelopeError.noKey):
            var standardError = StandardError()
            print(
                "metachat serve: SECRETS_ENCRYPTION_KEY is required: the database holds secrets sealed under it"
                    + " (set it, with any earlier keys in SECRETS_ENCRYPTION_OLD_KEYS)",
                to: &standardError)
            throw ExitCode(78)
        case .failure(let error as SecretsEnvelopeError):
            var standardError = StandardError()
            print("metachat serve: \(error)", to: &standardError)
            throw ExitCode(78)
        case .failure(let error):
            logger.warning("stored secrets not checked: \(error)")
        }
    }

    /// The REST route template of each method path, e.g. `GET /api/tenants/{tenant_id}`, for the API
    /// log (the first binding of a method with several).
    private static func routeTemplates() -> [String: String] {
        var templates: [String: String] = [:]
        for route in MetaChatRESTRoutes.all where templates[route.method.path] == nil {
            templates[route.method.path] = "\(route.httpMethod) \(route.pathTemplate)"
        }
        return templates
    }
}
