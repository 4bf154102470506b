internal import FoundationEssentials
package import MetaChatAPI
package import RPCServer
package import Storage

/// Answers `metachat.v1.AdminService`: retention runs (started in the background, read with
/// their progress) and usage statistics (``UsageStatsHandler``).
package struct AdminHandler: Metachat_V1_AdminService.Handler {
    private let pool: PostgresPool
    private let jobs: RetentionJobs

    /// A handler.
    ///
    /// - Parameters:
    ///   - pool: The database.
    ///   - jobs: Runs retention in the background.
    package init(pool: PostgresPool, jobs: RetentionJobs) {
        self.pool = pool
        self.jobs = jobs
    }

    package func runRetention(
        request: Metachat_V1_RunRetentionRequest, context: ServerContext
    ) async throws -> Metachat_V1_RetentionRun {
        try RequestTextCheck.check(request)
        let principal = try context.requireSuperAdmin()
        let tenantID = request.tenantID.isEmpty ? nil : try TenantFieldRules.tenantID(request.tenantID)
        var requestedBy = ""
        if case .admin(_, let keyID, _) = principal { requestedBy = keyID }
        do {
            let record = try await self.jobs.start(
                .init(trigger: .api, requestedBy: requestedBy, dryRun: request.dryRun, tenantID: tenantID))
            return record.message
        } catch RetentionRunner.Refusal.busy(let running) {
            throw RPCError(
                code: .aborted,
                message: "Another retention run is working"
                    + (running.map { " (\($0.lowercasedString))" } ?? "") + "; try again when it has finished.")
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
    }

    package func getRetentionRun(
        request: Metachat_V1_GetRetentionRunRequest, context: ServerContext
    ) async throws -> Metachat_V1_RetentionRun {
        try RequestTextCheck.check(request)
        _ = try context.requireAdmin()
        guard let id = UUID(canonicalText: request.runID) else {
            throw TenantFieldViolation.error("runId", "must be a UUID")
        }
        let record: RetentionRunRecord?
        do {
            record = try await RetentionRunStore(pool: self.pool).find(id: id)
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
        guard let record else {
            throw RPCError(code: .notFound, message: "Retention run \(id.lowercasedString) was not found.")
        }
        return record.message
    }

    package func listRetentionRuns(
        request: Metachat_V1_ListRetentionRunsRequest, context: ServerContext
    ) async throws -> Metachat_V1_ListRetentionRunsResponse {
        try RequestTextCheck.check(request)
        _ = try context.requireAdmin()
        guard (0...100).contains(request.pageSize) else {
            throw TenantFieldViolation.error("pageSize", "must be from 0 to 100")
        }
        do {
            var response = Metachat_V1_ListRetentionRunsResponse()
            response.runs = try await RetentionRunStore(pool: self.pool)
                .latest(limit: request.pageSize == 0 ? 20 : Int(request.pageSize)).map(\.message)
            return response
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
    }

    package func getUsageStats(
        request: Metachat_V1_GetUsageStatsRequest, context: ServerContext
    ) async throws -> Metachat_V1_GetUsageStatsResponse {
        try await UsageStatsHandler(pool: self.pool).getUsageStats(request: request, context: context)
    }
}
