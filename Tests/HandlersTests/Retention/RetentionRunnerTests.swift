import Foundation
import Handlers
import Logging
import MetaChatAPI
import Monitoring
import Prometheus
import RPCServer
import Storage
import Testing

/// Retention against real PostgreSQL: what expires goes (archived first where the tenant asks),
/// what does not stays, one run at a time, progress recorded.
@Suite("Retention runs", .serialized)
struct RetentionRunnerTests {
    private static let logger = Logger(label: "retention-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    private static func runner(
        _ pool: PostgresPool, batchSize: Int = 3, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
    ) -> RetentionRunner {
        var defaults = RetentionDefaults()
        defaults.batchSize = batchSize
        return RetentionRunner(
            pool: pool, defaults: defaults,
            events: ConversationEventPruner(pool: pool, configuration: .defaults, logger: Self.logger),
            metrics: RetentionMetrics(registry: metrics), logger: Self.logger)
    }

    /// A tenant with retention settings, a conversation, and messages created `ages` days ago.
    private static func seed(
        _ pool: PostgresPool, messageDays: Int32 = 0, archive: Bool = false, ages: [Double]
    ) async throws -> (tenant: UUID, conversation: UUID) {
        let handler = TenantHandler(pool: pool, secrets: .forTests)
        let tenant = try await TenantFixtures.create(handler, name: "T\(UUID().uuidString.prefix(6))") { request in
            request.settings.retention.messageRetentionDays = messageDays
            request.settings.retention.archiveBeforeDelete = archive
        }
        let tenantID = try #require(UUID(uuidString: tenant.id))
        let conversation = UUID()
        try await pool.withAdminTransaction { connection in
            try await connection.execute(
                """
                INSERT INTO conversations (tenant_id, id, channel_type, external_user_id, message_count)
                VALUES ($1, $2, 'API', 'user', $3)
                """, [.uuid(tenantID), .uuid(conversation), .int32(Int32(ages.count))])
            for (index, age) in ages.enumerated() {
                try await connection.execute(
                    """
                    INSERT INTO messages (tenant_id, conversation_id, event_id, role, text, created_at)
                    VALUES ($1, $2, $3, 'USER', $4, now() - $5 * interval '1 day')
                    """,
                    [.uuid(tenantID), .uuid(conversation), .int64(Int64(index + 1)), .text("m\(index)"), .float64(age)])
            }
        }
        return (tenantID, conversation)
    }

    private static func count(_ pool: PostgresPool, _ sql: String, _ binds: [PostgresValue?] = []) async throws -> Int64
    {
        let rows = try await pool.withAdminTransaction { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds))
        }
        return try rows.first?.decode(0, as: Int64.self) ?? 0
    }

    @Test("Expired messages go, in batches, per tenant retention; newer ones and counts stay right")
    func messagesExpire() async throws {
        try await MigratedDatabase.with { pool in
            let short = try await Self.seed(pool, messageDays: 10, ages: [30, 20, 11, 9, 1, 0.1, 50])
            let standard = try await Self.seed(pool, ages: [100, 95, 91, 89, 30, 1, 0])
            let registry = PrometheusCollectorRegistry()
            let record = try await Self.runner(pool, metrics: registry).run(.init(trigger: .command))
            #expect(record.state == .succeeded)
            #expect(record.tenantsProcessed == 2)
            let messages = try #require(record.tables.first { $0.table == "messages" })
            #expect(messages.deleted == 4 + 3)
            let metrics = registry.emitToString()
            #expect(MetricsText.value(metrics, #"metachat_retention_runs_total{outcome="succeeded"}"#) == 1)
            #expect(MetricsText.value(metrics, #"metachat_retention_runs_total{outcome="failed"}"#) == 0)
            #expect(MetricsText.value(metrics, #"metachat_retention_deleted_rows_total{table="messages"}"#) == 7)
            #expect(messages.archived == 0)
            #expect(
                try await Self.count(pool, "SELECT count(*) FROM messages WHERE tenant_id = $1", [.uuid(short.tenant)])
                    == 3)
            #expect(
                try await Self.count(
                    pool, "SELECT count(*) FROM messages WHERE tenant_id = $1", [.uuid(standard.tenant)]) == 4)
            #expect(
                try await Self.count(
                    pool, "SELECT message_count::bigint FROM conversations WHERE id = $1", [.uuid(short.conversation)])
                    == 3)
            #expect(try await Self.count(pool, "SELECT count(*) FROM messages_archive") == 0)
            let handler = AdminHandler(pool: pool, jobs: RetentionJobs(runner: Self.runner(pool)))
            var get = Metachat_V1_GetRetentionRunRequest()
            get.runID = record.id.uuidString
            let stored = try await handler.getRetentionRun(
                request: get, context: TestCaller.context(TestCaller.superAdmin))
            #expect(stored == record.message)
            #expect(stored.state == .succeeded)
            #expect(stored.trigger == .command)
        }
    }

    @Test("A tenant asking for archives gets every expired message copied before it is deleted")
    func archived() async throws {
        try await MigratedDatabase.with { pool in
            let seeded = try await Self.seed(pool, messageDays: 7, archive: true, ages: [8, 9, 10, 11, 1])
            let record = try await Self.runner(pool, batchSize: 2).run(.init(trigger: .command))
            let messages = try #require(record.tables.first { $0.table == "messages" })
            #expect(messages.deleted == 4)
            #expect(messages.archived == 4)
            let texts = try await pool.withAdminTransaction { connection in
                try await connection.query(
                    "SELECT data->>'text' AS t FROM messages_archive WHERE tenant_id = $1 ORDER BY created_at",
                    [.uuid(seeded.tenant)])
            }
            #expect(try texts.map { try $0.decode("t", as: String.self) } == ["m3", "m2", "m1", "m0"])
        }
    }

    @Test("A dry run counts what would go and changes nothing")
    func dryRun() async throws {
        try await MigratedDatabase.with { pool in
            _ = try await Self.seed(pool, messageDays: 5, archive: true, ages: [6, 7, 1])
            let before = try await Self.count(pool, "SELECT count(*) FROM messages")
            let record = try await Self.runner(pool).run(.init(trigger: .api, dryRun: true))
            let messages = try #require(record.tables.first { $0.table == "messages" })
            #expect(messages == RetentionTableResult(table: "messages", examined: 2, archived: 2, deleted: 2))
            #expect(record.dryRun)
            #expect(try await Self.count(pool, "SELECT count(*) FROM messages") == before)
            #expect(try await Self.count(pool, "SELECT count(*) FROM messages_archive") == 0)
        }
    }

    @Test("API logs and audit rows past their days go; a tenant-scoped run leaves other tenants alone")
    func apiLogsAndAudit() async throws {
        try await MigratedDatabase.with { pool in
            let a = try await Self.seed(pool, ages: [100])
            let b = try await Self.seed(pool, ages: [100])
            try await pool.withAdminTransaction { connection in
                for tenant in [a.tenant, b.tenant] {
                    for days in [40.0, 29.0] {
                        try await connection.execute(
                            """
                            INSERT INTO api_logs (occurred_at, tenant_id, method, route, protocol, grpc_code, http_status,
                                latency_us, request_id)
                            VALUES (now() - $2 * interval '1 day', $1, 'm', 'r', 'rest', 0, 200, 1, 'x')
                            """, [.uuid(tenant), .float64(days)])
                    }
                    try await connection.execute(
                        "INSERT INTO audit_log (tenant_id, actor, action, created_at) VALUES ($1, 'a', 'x', now() - interval '400 days')",
                        [.uuid(tenant)])
                }
            }
            let record = try await Self.runner(pool).run(.init(trigger: .command, tenantID: a.tenant))
            #expect(record.tenantsProcessed == 1)
            #expect(record.tables.first { $0.table == "api_logs" }?.deleted == 1)
            #expect(record.tables.first { $0.table == "audit_log" }?.deleted == 1)
            #expect(
                try await Self.count(pool, "SELECT count(*) FROM api_logs WHERE tenant_id = $1", [.uuid(a.tenant)]) == 1
            )
            #expect(
                try await Self.count(pool, "SELECT count(*) FROM api_logs WHERE tenant_id = $1", [.uuid(b.tenant)]) == 2
            )
            #expect(
                try await Self.count(pool, "SELECT count(*) FROM messages WHERE tenant_id = $1", [.uuid(b.tenant)]) == 1
            )
        }
    }

    @Test("While a run holds the lock another is refused naming it; a scheduled slot runs once")
    func oneAtATime() async throws {
        try await MigratedDatabase.with(maximumConnections: 6) { pool in
            _ = try await Self.seed(pool, ages: [1])
            let runner = Self.runner(pool)
            try await runner.run(.init(trigger: .api))
            // Another node's run: the lock held on another connection.
            try await pool.withConnection { holder in
                _ = try await holder.query("SELECT pg_advisory_lock($1)", [.int64(RetentionRunner.lockKey)])
                await #expect(throws: RetentionRunner.Refusal.self) { try await runner.run(.init(trigger: .api)) }
                _ = try await holder.query("SELECT pg_advisory_unlock($1)", [.int64(RetentionRunner.lockKey)])
            }
            let slot = Date(timeIntervalSince1970: 1_800_000_000)
            try await runner.run(.init(trigger: .schedule, scheduledFor: slot))
            await #expect(throws: RetentionRunner.Refusal.slotTaken) {
                try await runner.run(.init(trigger: .schedule, scheduledFor: slot))
            }
        }
    }

    @Test("Messages written while retention runs are never deleted, nor are other tenants' rows")
    func concurrentWrites() async throws {
        try await MigratedDatabase.with(maximumConnections: 8) { pool in
            let seeded = try await Self.seed(pool, messageDays: 1, ages: Array(repeating: 5, count: 40))
            let runner = Self.runner(pool, batchSize: 5)
            async let run = runner.run(.init(trigger: .command))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        for index in 0..<10 {
                            try await pool.withAdminTransaction { connection in
                                try await connection.execute(
                                    """
                                    INSERT INTO messages (tenant_id, conversation_id, event_id, role, text)
                                    VALUES ($1, $2, $3, 'USER', 'fresh')
                                    """,
                                    [
                                        .uuid(seeded.tenant), .uuid(seeded.conversation),
                                        .int64(Int64(1000 + writer * 100 + index)),
                                    ])
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let record = try await run
            #expect(record.state == .succeeded)
            #expect(record.tables.first { $0.table == "messages" }?.deleted == 40)
            #expect(try await Self.count(pool, "SELECT count(*) FROM messages WHERE text = 'fresh'") == 40)
            #expect(try await Self.count(pool, "SELECT count(*) FROM messages WHERE text <> 'fresh'") == 0)
        }
    }

    @Test("A run started through the jobs answers while it works, and shows its outcome afterwards")
    func jobsAnswerEarly() async throws {
        try await MigratedDatabase.with(maximumConnections: 6) { pool in
            _ = try await Self.seed(pool, messageDays: 1, ages: [3, 4])
            let jobs = RetentionJobs(runner: Self.runner(pool))
            let handler = AdminHandler(pool: pool, jobs: jobs)
            let admin = TestCaller.context(TestCaller.superAdmin)
            let started = try await handler.runRetention(request: .init(), context: admin)
            #expect(started.state == .running)
            var get = Metachat_V1_GetRetentionRunRequest()
            get.runID = started.id
            var finished = started
            try await Polling.until("the run to finish", within: .seconds(30)) {
                finished = try await handler.getRetentionRun(request: get, context: admin)
                return finished.state != .running
            }
            #expect(finished.state == .succeeded)
            #expect(finished.tables.first { $0.table == "messages" }?.deleted == 2)
            let listed = try await handler.listRetentionRuns(request: .init(), context: admin)
            #expect(listed.runs.first?.id == started.id)
        }
    }

    @Test("Retention RPCs refuse bad input and the wrong callers")
    func rpcRefusals() async throws {
        try await MigratedDatabase.with { pool in
            let handler = AdminHandler(pool: pool, jobs: RetentionJobs(runner: Self.runner(pool)))
            await expectRPCError(.permissionDenied) {
                try await handler.runRetention(request: .init(), context: TestCaller.context(TestCaller.standardAdmin))
            }
            await expectRPCError(.permissionDenied) {
                try await handler.runRetention(
                    request: .init(), context: TestCaller.context(TestCaller.tenant(UUID().uuidString.lowercased())))
            }
            var badTenant = Metachat_V1_RunRetentionRequest()
            badTenant.tenantID = "nope"
            await expectRPCError(.invalidArgument, "tenantId") {
                try await handler.runRetention(request: badTenant, context: TestCaller.context(TestCaller.superAdmin))
            }
            var badID = Metachat_V1_GetRetentionRunRequest()
            badID.runID = "x"
            await expectRPCError(.invalidArgument, "runId") {
                try await handler.getRetentionRun(request: badID, context: TestCaller.context(TestCaller.superAdmin))
            }
            badID.runID = UUID().uuidString
            await expectRPCError(.notFound) {
                try await handler.getRetentionRun(request: badID, context: TestCaller.context(TestCaller.superAdmin))
            }
            var badSize = Metachat_V1_ListRetentionRunsRequest()
            badSize.pageSize = 101
            await expectRPCError(.invalidArgument, "pageSize") {
                try await handler.listRetentionRuns(
                    request: badSize, context: TestCaller.context(TestCaller.superAdmin))
            }
        }
    }

    @Test(
        "Finished webhook deliveries older than 30 days go with their attempts; waiting ones and idempotency keys under a day stay"
    )
    func deliveriesAndIdempotencyKeys() async throws {
        try await MigratedDatabase.with { pool in
            let seeded = try await Self.seed(pool, ages: [])
            let tenant = seeded.tenant
            let endpoint = UUID()
            // (status, age in days) → kept?
            let deliveries: [(status: String, days: Double, kept: Bool)] = [
                ("SUCCEEDED", 40, false), ("FAILED", 31, false), ("DEAD_LETTERED", 45, false),
                ("SUCCEEDED", 29, true), ("PENDING", 60, true), ("SENDING", 60, true),
            ]
            try await pool.withAdminTransaction { connection in
                try await connection.execute(
                    """
                    INSERT INTO webhook_endpoints (tenant_id, id, url, signing_secret, signing_secret_last_four)
                    VALUES ($1, $2, 'https://hooks.example/x', 'sealed', 'abcd')
                    """, [.uuid(tenant), .uuid(endpoint)])
                for delivery in deliveries {
                    let id = UUID()
                    try await connection.execute(
                        """
                        INSERT INTO webhook_deliveries (tenant_id, id, webhook_id, event_id, event_type, body, status,
                            attempts, max_attempts, created_at, updated_at)
                        VALUES ($1, $2, $3, gen_random_uuid(), 'tenant.updated', '{}', $4, 1, 5,
                            now() - $5 * interval '1 day', now() - $5 * interval '1 day')
                        """,
                        [.uuid(tenant), .uuid(id), .uuid(endpoint), .text(delivery.status), .float64(delivery.days)])
                    try await connection.execute(
                        """
                        INSERT INTO webhook_delivery_attempts (tenant_id, delivery_id, attempt, started_at, finished_at)
                        VALUES ($1, $2, 1, now(), now())
                        """, [.uuid(tenant), .uuid(id)])
                }
                for (key, hours) in [("old", 25.0), ("fresh", 23.0)] {
                    try await connection.execute(
                        """
                        INSERT INTO chat_requests (tenant_id, idempotency_key, request_hash, created_at)
                        VALUES ($1, $2, repeat('a', 64), now() - $3 * interval '1 hour')
                        """, [.uuid(tenant), .text(key), .float64(hours)])
                }
            }
            let dryRun = try await Self.runner(pool).run(.init(trigger: .command, dryRun: true, tenantID: tenant))
            #expect(dryRun.tables.first { $0.table == "webhook_deliveries" }?.deleted == 3)
            #expect(try await Self.count(pool, "SELECT count(*) FROM webhook_deliveries") == 6)

            let record = try await Self.runner(pool, batchSize: 2).run(.init(trigger: .command, tenantID: tenant))
            #expect(record.tables.first { $0.table == "webhook_deliveries" }?.deleted == 3)
            #expect(record.tables.first { $0.table == "chat_requests" }?.deleted == 1)
            let left = try await pool.withAdminTransaction { connection in
                try await connection.query("SELECT status FROM webhook_deliveries ORDER BY status").map {
                    try $0.decode(0, as: String.self)
                }
            }
            #expect(left == deliveries.filter(\.kept).map(\.status).sorted())
            #expect(try await Self.count(pool, "SELECT count(*) FROM webhook_delivery_attempts") == 3)
            let keys = try await pool.withAdminTransaction { connection in
                try await connection.query("SELECT idempotency_key FROM chat_requests").map {
                    try $0.decode(0, as: String.self)
                }
            }
            #expect(keys == ["fresh"])
        }
    }

    @Test(
        "Processed channel callbacks older than 7 days and message ids older than 14 go; pending callbacks and newer rows stay"
    )
    func channelCallbacksAndMessageIDs() async throws {
        try await MigratedDatabase.with { pool in
            let tenant = try await Self.seed(pool, ages: []).tenant
            let other = try await Self.seed(pool, ages: []).tenant
            // (status, age in days) → kept?
            let callbacks: [(status: String, days: Double, kept: Bool)] = [
                ("DONE", 8, false), ("FAILED", 30, false), ("DONE", 6, true), ("PENDING", 30, true),
            ]
            let messageIDs: [(days: Double, kept: Bool)] = [(15, false), (40, false), (13, true)]
            for owner in [tenant, other] {
                let channel = UUID()
                try await pool.withAdminTransaction { connection in
                    try await connection.execute(
                        """
                        INSERT INTO channels (tenant_id, id, type, name, phone_number_id, business_account_id,
                            access_token, app_secret, verify_token)
                        VALUES ($1, $2, 'WHATSAPP', 'wa', '1', '2', 'sealed', 'sealed', 'sealed')
                        """, [.uuid(owner), .uuid(channel)])
                    for callback in callbacks {
                        try await connection.execute(
                            """
                            INSERT INTO channel_inbound (tenant_id, channel_id, body, status, received_at)
                            VALUES ($1, $2, '\\x7b7d', $3, now() - $4 * interval '1 day')
                            """,
                            [.uuid(owner), .uuid(channel), .text(callback.status), .float64(callback.days)])
                    }
                    for (index, id) in messageIDs.enumerated() {
                        try await connection.execute(
                            """
                            INSERT INTO channel_inbound_messages (tenant_id, channel_id, external_message_id, created_at)
                            VALUES ($1, $2, $3, now() - $4 * interval '1 day')
                            """, [.uuid(owner), .uuid(channel), .text("wamid.\(index)"), .float64(id.days)])
                    }
                }
            }
            let dryRun = try await Self.runner(pool).run(.init(trigger: .command, dryRun: true, tenantID: tenant))
            #expect(dryRun.tables.first { $0.table == "channel_inbound" }?.deleted == 2)
            #expect(dryRun.tables.first { $0.table == "channel_inbound_messages" }?.deleted == 2)
            #expect(try await Self.count(pool, "SELECT count(*) FROM channel_inbound") == 8)

            let record = try await Self.runner(pool, batchSize: 1).run(.init(trigger: .command, tenantID: tenant))
            #expect(record.tables.first { $0.table == "channel_inbound" }?.deleted == 2)
            #expect(record.tables.first { $0.table == "channel_inbound_messages" }?.deleted == 2)
            let left = try await pool.withAdminTransaction { connection in
                try await connection.query(
                    "SELECT status FROM channel_inbound WHERE tenant_id = $1 ORDER BY status", [.uuid(tenant)]
                ).map { try $0.decode(0, as: String.self) }
            }
            #expect(left == callbacks.filter(\.kept).map(\.status).sorted())
            #expect(
                try await Self.count(
                    pool, "SELECT count(*) FROM channel_inbound_messages WHERE tenant_id = $1", [.uuid(tenant)]) == 1)
            // The other tenant's rows were not in this run's scope.
            #expect(
                try await Self.count(pool, "SELECT count(*) FROM channel_inbound WHERE tenant_id = $1", [.uuid(other)])
                    == 4)
            #expect(
                try await Self.count(
                    pool, "SELECT count(*) FROM channel_inbound_messages WHERE tenant_id = $1", [.uuid(other)]) == 3)
        }
    }
}
