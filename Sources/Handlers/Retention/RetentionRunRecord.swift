package import FoundationEssentials
package import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

/// A row of `retention_runs`: one retention run's request, progress and outcome.
package struct RetentionRunRecord: Sendable, Equatable {
    /// What started a run.
    package enum Trigger: String, Sendable {
        /// `RETENTION_CRON`.
        case schedule = "SCHEDULE"
        /// `AdminService.RunRetention`.
        case api = "API"
        /// `metachat retention run`.
        case command = "COMMAND"
    }

    /// Where a run is.
    package enum State: String, Sendable {
        /// Working.
        case running = "RUNNING"
        /// Finished.
        case succeeded = "SUCCEEDED"
        /// Stopped by an error or by its node stopping.
        case failed = "FAILED"
    }

    package var id: UUID
    package var trigger: Trigger
    package var requestedBy: String
    package var dryRun: Bool
    package var tenantID: UUID?
    package var state: State
    package var tenantsProcessed: Int
    package var tables: [RetentionTableResult]
    package var error: String?
    package var startedAt: Date
    package var finishedAt: Date?

    /// The columns ``init(_:)`` reads.
    static let columns = """
        id, trigger, requested_by, dry_run, tenant_id, state, tenants_processed, tables::text AS tables, error,
        started_at, finished_at
        """

    init(_ row: PostgresRow) throws {
        self.id = try row.decode("id", as: UUID.self)
        self.trigger = Trigger(rawValue: try row.decode("trigger", as: String.self)) ?? .api
        self.requestedBy = try row.decode("requested_by", as: String.self)
        self.dryRun = try row.decode("dry_run", as: Bool.self)
        self.tenantID = try row.decode("tenant_id", as: UUID?.self)
        self.state = State(rawValue: try row.decode("state", as: String.self)) ?? .failed
        self.tenantsProcessed = Int(try row.decode("tenants_processed", as: Int32.self))
        let tablesJSON = try row.decode("tables", as: String.self)
        self.tables = (try? JSONDecoder().decode([RetentionTableResult].self, from: Data(tablesJSON.utf8))) ?? []
        self.error = try row.decode("error", as: String?.self)
        self.startedAt = try row.decode("started_at", as: Date.self)
        self.finishedAt = try row.decode("finished_at", as: Date?.self)
    }

    /// The run as the API answers it.
    package var message: Metachat_V1_RetentionRun {
        var run = Metachat_V1_RetentionRun()
        run.id = self.id.lowercasedString
        run.trigger =
            switch self.trigger {
            case .schedule: .schedule
            case .api: .api
            case .command: .command
            }
        run.requestedBy = self.requestedBy
        run.dryRun = self.dryRun
        run.tenantID = self.tenantID?.lowercasedString ?? ""
        run.state =
            switch self.state {
            case .running: .running
            case .succeeded: .succeeded
            case .failed: .failed
            }
        run.tenantsProcessed = Int32(clamping: self.tenantsProcessed)
        run.tables = self.tables.map(\.message)
        run.error = self.error ?? ""
        run.startedAt = .init(date: self.startedAt)
        if let finishedAt = self.finishedAt { run.finishedAt = .init(date: finishedAt) }
        return run
    }
}
