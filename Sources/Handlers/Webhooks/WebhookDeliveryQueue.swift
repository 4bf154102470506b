internal import FoundationEssentials
internal import Storage

/// The relays' side of `outbox_events` and `webhook_deliveries`, across tenants (admin scope):
/// fanning events out into deliveries, claiming due deliveries with `FOR UPDATE SKIP LOCKED`
/// (any number of relays in any number of processes take distinct ones; a claim is a lease, so a
/// delivery whose sender died is claimed again once it ran out), and recording each attempt.
struct WebhookDeliveryQueue: Sendable {
    let pool: PostgresPool
    let configuration: WebhookConfiguration

    /// Turns up to ``WebhookConfiguration/fanOutBatch`` outbox events into one delivery per
    /// enabled endpoint of their tenant that subscribes to their type, and marks them fanned out,
    /// in one statement (a relay dying before its commit leaves them to the next).
    ///
    /// - Returns: How many events were fanned out.
    func fanOut() async throws -> Int {
        try await self.pool.withAdminTransaction { connection in
            let rows = try await connection.query(
                """
                WITH claimed AS (
                    SELECT id, tenant_id, event_type, body, conversation_id FROM outbox_events
                    WHERE fanned_out_at IS NULL ORDER BY position LIMIT \(Int64(self.configuration.fanOutBatch))
                    FOR UPDATE SKIP LOCKED),
                created AS (
                    INSERT INTO webhook_deliveries (tenant_id, webhook_id, event_id, event_type, body, conversation_id,
                        max_attempts)
                    SELECT c.tenant_id, w.id, c.id, c.event_type, c.body, c.conversation_id, \
                \(Int32(self.configuration.retry.maximumAttempts))
                    FROM claimed c JOIN webhook_endpoints w ON w.tenant_id = c.tenant_id AND w.enabled
                        AND (c.event_type = ANY (w.event_types)
                             OR (cardinality(w.event_types) = 0 AND c.event_type <> 'webhook.test'))
                    ON CONFLICT DO NOTHING
                    RETURNING 1),
                marked AS (
                    UPDATE outbox_events o SET fanned_out_at = now() FROM claimed c WHERE o.id = c.id RETURNING 1)
                SELECT (SELECT count(*) FROM marked) AS events, (SELECT count(*) FROM created) AS deliveries
                """
            )
            return try rows[0].decode("events", as: Int.self)
        }
    }

    /// Claims up to `limit` due deliveries, at most `perEndpoint` minus what it already holds
    /// (`held`) per endpoint; each claimed one counts its attempt and is leased.
    ///
    /// Due deliveries are taken endpoint by endpoint, each from the front of its own range of
    /// `webhook_deliveries_endpoint_due_idx` (endpoint, due time), never by one walk in due order
    /// across all endpoints: such a walk, with the busy endpoints filtered out, passes every due
    /// delivery of theirs that precedes the first one of an endpoint with room, so it grew with
    /// the backlog (120 ms over 60,000 skipped rows; docs/benchmarks.md). Which endpoints have
    /// pending deliveries comes from a skip scan of the same index (one probe per endpoint), from
    /// a random point (`start`) and wrapping around, so no endpoint is always served last.
    func claim(limit: Int, held: [UUID: Int], perEndpoint: Int, start: UUID = UUID()) async throws -> [WebhookClaim] {
        guard limit > 0 else { return [] }
        let busy = held.filter { $0.value >= perEndpoint }.keys
        let busyLiteral = "{" + busy.map(\.lowercasedString).joined(separator: ",") + "}"
        let partly = held.filter { $0.value > 0 && $0.value < perEndpoint }
        let partlyLiteral = "{" + partly.keys.map(\.lowercasedString).joined(separator: ",") + "}"
        let roomLiteral = "{" + partly.values.map { String(perEndpoint - $0) }.joined(separator: ",") + "}"
        let leaseSeconds = Self.seconds(self.configuration.lease)
        return try await self.pool.withAdminTransaction { connection in
            let expired = try await connection.query(
                """
                SELECT id, webhook_id FROM webhook_deliveries
                WHERE status = 'SENDING' AND lease_until < now()
                  AND NOT (webhook_id = ANY (\(busyLiteral)::text::uuid[]))
                ORDER BY lease_until LIMIT \(Int64(limit * 4)) FOR UPDATE SKIP LOCKED
                """
            )
            let due = try await connection.query(
                """
                WITH RECURSIVE upward AS (
                    SELECT (SELECT webhook_id FROM webhook_deliveries WHERE status = 'PENDING' AND webhook_id >= \(start)
                            ORDER BY webhook_id LIMIT 1) AS webhook_id
                  UNION ALL
                    SELECT (SELECT d.webhook_id FROM webhook_deliveries d
                            WHERE d.status = 'PENDING' AND d.webhook_id > u.webhook_id ORDER BY d.webhook_id LIMIT 1)
                    FROM upward u WHERE u.webhook_id IS NOT NULL
                ), wrapped AS (
                    SELECT (SELECT webhook_id FROM webhook_deliveries WHERE status = 'PENDING' AND webhook_id < \(start)
                            ORDER BY webhook_id LIMIT 1) AS webhook_id
                  UNION ALL
                    SELECT (SELECT d.webhook_id FROM webhook_deliveries d
                            WHERE d.status = 'PENDING' AND d.webhook_id > w.webhook_id AND d.webhook_id < \(start)
                            ORDER BY d.webhook_id LIMIT 1)
                    FROM wrapped w WHERE w.webhook_id IS NOT NULL
                ), endpoints AS (
                    SELECT webhook_id FROM upward WHERE webhook_id IS NOT NULL
                    UNION ALL
                    SELECT webhook_id FROM wrapped WHERE webhook_id IS NOT NULL
                )
                SELECT c.id, c.webhook_id FROM endpoints e
                LEFT JOIN unnest(\(partlyLiteral)::text::uuid[], \(roomLiteral)::text::int4[]) AS h(webhook_id, room)
                    ON h.webhook_id = e.webhook_id
                CROSS JOIN LATERAL (
                    SELECT d.id, d.webhook_id FROM webhook_deliveries d
                    WHERE d.webhook_id = e.webhook_id AND d.status = 'PENDING' AND d.next_attempt_at <= now()
                    ORDER BY d.next_attempt_at LIMIT coalesce(h.room, \(Int32(perEndpoint))) FOR UPDATE SKIP LOCKED) c
                WHERE NOT (e.webhook_id = ANY (\(busyLiteral)::text::uuid[]))
                LIMIT \(Int64(limit))
                """
            )
            let candidates = Array(expired) + Array(due)
            var taken: [UUID: Int] = [:]
            var picked: [UUID] = []
            for row in candidates {
                let webhookID: UUID = try row.decode("webhook_id")
                let count = taken[webhookID, default: 0]
                guard count < perEndpoint - held[webhookID, default: 0], picked.count < limit else { continue }
                taken[webhookID] = count + 1
                picked.append(try row.decode("id"))
            }
            guard !picked.isEmpty else { return [] }
            let pickedLiteral = "{" + picked.map(\.lowercasedString).joined(separator: ",") + "}"
            let rows = try await connection.query(
                """
                UPDATE webhook_deliveries d SET status = 'SENDING', attempts = d.attempts + 1,
                    lease_until = now() + \(leaseSeconds) * interval '1 second', updated_at = now()
                FROM webhook_endpoints e
                WHERE d.id = ANY (\(pickedLiteral)::text::uuid[]) AND e.tenant_id = d.tenant_id AND e.id = d.webhook_id
                RETURNING \(unescaped: WebhookClaim.columns)
                """
            )
            return try rows.map(WebhookClaim.init)
        }
    }

    /// Records an attempt of a claimed delivery and what follows from it: success, a retry at
    /// the policy's delay, dead-lettering, a final failure; the endpoint's failure count, and
    /// disabling it (410, or ``WebhookConfiguration/disableAfterFailures`` events in a row).
    /// Nothing when the claim was lost meanwhile (its lease ran out and another relay took it).
    ///
    /// - Parameters:
    ///   - claim: The claimed delivery.
    ///   - attempt: What happened.
    ///   - isTest: A test event: never retried, and the endpoint's state is left alone.
    ///   - random: A number in 0..<1 for the retry delay's jitter.
    func record(_ claim: WebhookClaim, attempt: WebhookAttempt, isTest: Bool = false, random: Double) async throws {
        try await self.pool.withAdminTransaction { connection in
            try await self.record(claim, attempt: attempt, isTest: isTest, random: random, on: connection)
        }
    }

    /// Records the attempts of several claimed deliveries in one transaction with a few
    /// set-based statements (one pooled connection however many attempts finished, so the relay
    /// never crowds out the request path): the deliveries' new states, the attempts, and each
    /// endpoint's failure count, applied in the order the attempts finished.
    func record(_ results: [(claim: WebhookClaim, attempt: WebhookAttempt)]) async throws {
        guard !results.isEmpty else { return }
        var values: [String] = []
        var binds: [PostgresValue?] = []
        for result in results {
            let (status, delay) = self.outcome(result.claim, result.attempt, isTest: false, random: .random(in: 0..<1))
            let base = binds.count
            binds += [
                .uuid(result.claim.id), .int32(result.claim.attempt), .text(status), .int64(delay),
                .int32(Int32(clamping: result.attempt.statusCode)), .text(String(result.attempt.error.prefix(500))),
                .text(result.attempt.responseBody), .timestamp(result.attempt.finishedAt),
            ]
            values.append("(" + (1...8).map { "$\(base + $0)" }.joined(separator: ", ") + ")")
        }
        try await self.pool.withAdminTransaction { connection in
            // The SQL is constant text and parameter numbers.
            let updated = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        UPDATE webhook_deliveries d SET status = v.status, lease_until = NULL,
                            next_attempt_at = CASE WHEN v.status = 'PENDING'
                                THEN now() + v.delay * interval '1 millisecond' ELSE d.next_attempt_at END,
                            last_status_code = v.code, last_error = v.error, last_response_body = v.body,
                            last_attempt_at = v.finished,
                            delivered_at = CASE WHEN v.status = 'SUCCEEDED' THEN v.finished END, updated_at = now()
                        FROM (VALUES \(values.joined(separator: ", ")))
                            AS v(id, attempt, status, delay, code, error, body, finished)
                        WHERE d.id = v.id::uuid AND d.status = 'SENDING' AND d.attempts = v.attempt::int4
                        RETURNING d.id
                        """,
                    binds: binds))
            let recorded = Set(try updated.map { try $0.decode("id", as: UUID.self) })
            let kept = results.filter { recorded.contains($0.claim.id) }
            guard !kept.isEmpty else { return }
            var attemptValues: [String] = []
            var attemptBinds: [PostgresValue?] = []
            for result in kept {
                let base = attemptBinds.count
                attemptBinds += [
                    .uuid(result.claim.tenantID), .uuid(result.claim.id), .int32(result.claim.attempt),
                    .timestamp(result.attempt.startedAt), .timestamp(result.attempt.finishedAt),
                    .int32(Int32(clamping: result.attempt.statusCode)), .text(String(result.attempt.error.prefix(500))),
                    .text(result.attempt.responseBody),
                ]
                attemptValues.append("(" + (1...8).map { "$\(base + $0)" }.joined(separator: ", ") + ")")
            }
            try await connection.execute(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO webhook_delivery_attempts (tenant_id, delivery_id, attempt, started_at, finished_at,
                            status_code, error, response_body)
                        VALUES \(attemptValues.joined(separator: ", ")) ON CONFLICT DO NOTHING
                        """,
                    binds: attemptBinds))
            try await self.updateEndpoints(kept, on: connection)
        }
    }

    /// What a batch of attempts means for each endpoint, applied with one statement per endpoint:
    /// a success resets the failure count, each event that ended without success adds one, a 410
    /// disables at once, and reaching the limit disables with a reason.
    private func updateEndpoints(
        _ results: [(claim: WebhookClaim, attempt: WebhookAttempt)], on connection: PostgresConnection
    ) async throws {
        var effects: [UUID: (reset: Bool, failures: Int32, gone: Bool)] = [:]
        for result in results {
            let (status, _) = self.outcome(result.claim, result.attempt, isTest: false, random: 0.5)
            var effect = effects[result.claim.webhookID, default: (false, 0, false)]
            switch status {
            case "SUCCEEDED":
                effect = (true, 0, effect.gone)
            case "FAILED", "DEAD_LETTERED":
                effect.failures += 1
                if result.attempt.outcome == .gone { effect.gone = true }
            default:
                continue
            }
            effects[result.claim.webhookID] = effect
        }
        let limit = Int32(self.configuration.disableAfterFailures)
        let reason = "\(limit) events in a row failed"
        for (endpoint, effect) in effects {
            try await connection.execute(
                """
                UPDATE webhook_endpoints SET
                    consecutive_failures = CASE WHEN \(effect.reset) THEN 0 ELSE consecutive_failures END
                        + \(effect.failures),
                    enabled = enabled AND NOT \(effect.gone)
                        AND (CASE WHEN \(effect.reset) THEN 0 ELSE consecutive_failures END) + \(effect.failures) < \(limit),
                    disabled_reason = CASE
                        WHEN enabled AND \(effect.gone) THEN 'receiver answered 410 Gone'
                        WHEN enabled AND (CASE WHEN \(effect.reset) THEN 0 ELSE consecutive_failures END)
                            + \(effect.failures) >= \(limit) THEN \(reason)
                        ELSE disabled_reason END,
                    updated_at = CASE WHEN \(effect.failures) > 0 OR \(effect.gone) THEN now() ELSE updated_at END
                WHERE id = \(endpoint)
                  AND (\(effect.failures) > 0 OR \(effect.gone) OR consecutive_failures <> 0)
                """
            )
        }
    }

    /// The stored status an attempt leads to, and the delay before the next one (milliseconds).
    private func outcome(_ claim: WebhookClaim, _ attempt: WebhookAttempt, isTest: Bool, random: Double)
        -> (status: String, delay: Int64)
    {
        switch attempt.outcome {
        case .succeeded:
            return ("SUCCEEDED", 0)
        case .retryable(let retryAfter):
            if isTest { return ("FAILED", 0) }
            if claim.attempt >= claim.maximumAttempts { return ("DEAD_LETTERED", 0) }
            let delay = self.configuration.retry.delay(
                afterAttempt: Int(claim.attempt), retryAfter: retryAfter, random: random)
            return ("PENDING", delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)
        case .final, .gone:
            return ("FAILED", 0)
        }
    }

    private func record(
        _ claim: WebhookClaim, attempt: WebhookAttempt, isTest: Bool, random: Double, on connection: PostgresConnection
    ) async throws {
        let exhausted = claim.attempt >= claim.maximumAttempts
        let status: String
        var delayMilliseconds: Int64 = 0
        switch attempt.outcome {
        case .succeeded:
            status = "SUCCEEDED"
        case .retryable(let retryAfter):
            if isTest {
                status = "FAILED"
            } else if exhausted {
                status = "DEAD_LETTERED"
            } else {
                status = "PENDING"
                let delay = self.configuration.retry.delay(
                    afterAttempt: Int(claim.attempt), retryAfter: retryAfter, random: random)
                delayMilliseconds =
                    delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
            }
        case .final, .gone:
            status = "FAILED"
        }
        let error = String(attempt.error.prefix(500))
        do {
            let updated = try await connection.execute(
                """
                UPDATE webhook_deliveries SET status = \(status), lease_until = NULL,
                    next_attempt_at = CASE WHEN \(status) = 'PENDING'
                        THEN now() + \(delayMilliseconds) * interval '1 millisecond' ELSE next_attempt_at END,
                    last_status_code = \(Int32(attempt.statusCode)), last_error = \(error),
                    last_response_body = \(attempt.responseBody), last_attempt_at = \(attempt.finishedAt),
                    delivered_at = CASE WHEN \(status) = 'SUCCEEDED' THEN \(attempt.finishedAt)::timestamptz END,
                    updated_at = now()
                WHERE id = \(claim.id) AND status = 'SENDING' AND attempts = \(claim.attempt)
                """
            )
            guard updated > 0 else { return }
            try await connection.execute(
                """
                INSERT INTO webhook_delivery_attempts (tenant_id, delivery_id, attempt, started_at, finished_at,
                    status_code, error, response_body)
                VALUES (\(claim.tenantID), \(claim.id), \(claim.attempt), \(attempt.startedAt), \(attempt.finishedAt), \
                \(Int32(attempt.statusCode)), \(error), \(attempt.responseBody))
                ON CONFLICT DO NOTHING
                """
            )
            guard !isTest else { return }
            switch (status, attempt.outcome) {
            case ("SUCCEEDED", _):
                try await connection.execute(
                    """
                    UPDATE webhook_endpoints SET consecutive_failures = 0
                    WHERE id = \(claim.webhookID) AND consecutive_failures <> 0
                    """
                )
            case (_, .gone):
                try await connection.execute(
                    """
                    UPDATE webhook_endpoints SET enabled = false, consecutive_failures = consecutive_failures + 1,
                        disabled_reason = 'receiver answered 410 Gone', updated_at = now()
                    WHERE id = \(claim.webhookID)
                    """
                )
            case ("FAILED", _), ("DEAD_LETTERED", _):
                let limit = Int32(self.configuration.disableAfterFailures)
                let reason = "\(limit) events in a row failed"
                try await connection.execute(
                    """
                    UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1,
                        enabled = enabled AND consecutive_failures + 1 < \(limit),
                        disabled_reason = CASE WHEN enabled AND consecutive_failures + 1 >= \(limit)
                            THEN \(reason) ELSE disabled_reason END,
                        updated_at = now()
                    WHERE id = \(claim.webhookID)
                    """
                )
            default:
                break
            }
        }
    }

    /// Ends a claimed delivery whose endpoint was disabled meanwhile: FAILED, no attempt made.
    func abandon(_ claim: WebhookClaim, reason: String) async throws {
        try await self.pool.withAdminTransaction { connection in
            try await connection.execute(
                """
                UPDATE webhook_deliveries SET status = 'FAILED', attempts = greatest(0, attempts - 1),
                    lease_until = NULL, last_error = \(reason), updated_at = now()
                WHERE id = \(claim.id) AND status = 'SENDING' AND attempts = \(claim.attempt)
                """
            )
        }
    }

    /// How long until the next delivery comes due (or a lease runs out); `nil` when none waits.
    /// The earliest due time is the least of each endpoint's first (a skip scan of
    /// `webhook_deliveries_endpoint_due_idx`, one probe per endpoint with pending deliveries).
    func untilNextDue() async throws -> Duration? {
        try await self.pool.withAdminTransaction { connection in
            let rows = try await connection.query(
                """
                WITH RECURSIVE endpoints AS (
                    SELECT (SELECT webhook_id FROM webhook_deliveries WHERE status = 'PENDING'
                            ORDER BY webhook_id LIMIT 1) AS webhook_id
                  UNION ALL
                    SELECT (SELECT d.webhook_id FROM webhook_deliveries d
                            WHERE d.status = 'PENDING' AND d.webhook_id > e.webhook_id ORDER BY d.webhook_id LIMIT 1)
                    FROM endpoints e WHERE e.webhook_id IS NOT NULL
                )
                SELECT extract(epoch FROM least(
                    (SELECT min((SELECT d.next_attempt_at FROM webhook_deliveries d
                                 WHERE d.status = 'PENDING' AND d.webhook_id = e.webhook_id
                                 ORDER BY d.next_attempt_at LIMIT 1))
                     FROM endpoints e WHERE e.webhook_id IS NOT NULL),
                    (SELECT min(lease_until) FROM webhook_deliveries WHERE status = 'SENDING')) - now())::float8 AS s
                """
            )
            guard let seconds = try rows[0].decode("s", as: Double?.self) else { return nil }
            return .milliseconds(Int64(max(0, seconds) * 1000))
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
