internal import FoundationEssentials
package import MetaChatAPI
package import RPCServer
internal import Storage

extension TenantHandler {
    /// A tenant's API log, newest first, in keyset pages; a tenant key reads its own, admins any.
    package func listApiLogs(
        request: Metachat_V1_ListApiLogsRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_ListApiLogsResponse {
        try RequestTextCheck.check(request)
        let id = try TenantFieldRules.tenantID(request.tenantID)
        let principal = try Self.requireAccess(to: id, context: context)
        guard (0...500).contains(request.pageSize) else {
            throw TenantFieldViolation.error("pageSize", "must be from 0 to 500")
        }
        let pageSize = request.pageSize == 0 ? 100 : Int(request.pageSize)
        let start = request.hasStartTime ? try TimestampFieldRule.date(request.startTime, "startTime") : nil
        let end = request.hasEndTime ? try TimestampFieldRule.date(request.endTime, "endTime") : nil
        if let start, let end, start >= end {
            throw TenantFieldViolation.error("endTime", "must be after startTime")
        }
        let filters =
            "\(start.map { "\($0.timeIntervalSince1970)" } ?? "")|\(end.map { "\($0.timeIntervalSince1970)" } ?? "")"
        var cursor: (micros: Int64, id: Int64)?
        if !request.pageToken.isEmpty {
            let token = try KeysetPageToken(decoding: request.pageToken, filters: filters, method: "ListApiLogs")
            guard let sequence = token.sequence else {
                throw TenantFieldViolation.error("pageToken", "is not a token from a previous ListApiLogs response")
            }
            cursor = (token.position, sequence)
        }
        var conditions = ["tenant_id = $1"]
        var binds: [PostgresValue?] = [.uuid(id)]
        if let start {
            binds.append(.timestamp(start))
            conditions.append("occurred_at >= $\(binds.count)")
        }
        if let end {
            binds.append(.timestamp(end))
            conditions.append("occurred_at < $\(binds.count)")
        }
        if let cursor {
            binds.append(.int64(cursor.micros))
            binds.append(.int64(cursor.id))
            conditions.append(
                "(occurred_at, id) < ('epoch'::timestamptz + $\(binds.count - 1) * interval '1 microsecond', $\(binds.count))"
            )
        }
        binds.append(.int32(Int32(pageSize + 1)))
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT \(ApiLogRow.columns) FROM api_logs WHERE \(conditions.joined(separator: " AND "))
                ORDER BY occurred_at DESC, id DESC LIMIT $\(binds.count)
                """,
            binds: binds)
        let rows = try await self.storage {
            try await self.withScope(of: principal, tenantID: id) { connection in
                try await connection.query(query).map(ApiLogRow.init)
            }
        }
        var response = Metachat_V1_ListApiLogsResponse()
        response.entries = rows.prefix(pageSize).map(\.entry)
        if rows.count > pageSize, let last = rows.prefix(pageSize).last {
            response.nextPageToken = KeysetPageToken(
                position: last.occurredMicros, sequence: last.id, filters: filters
            ).encoded()
        }
        return response
    }
}
