internal import FoundationEssentials
internal import MetaChatAPI
internal import RPCServer
internal import Storage
internal import SwiftProtobuf

/// The filters of a ListConversations request, checked, and the SQL that applies them.
///
/// Filters combine with AND; the statuses with OR. Every query starts at an index beginning with
/// `tenant_id` (`0006_conversations.sql`), ordered by `updated_at DESC, id DESC`; the
/// `ConversationListPlanTests` show which index each filter uses.
struct ConversationListFilter: Sendable, Hashable {
    var statuses: [String] = []
    var channelType: String?
    var channelID: UUID?
    var assigneeID: String?
    var externalUserID: String?
    var needsReview: Bool?
    var createdAfter: Date?
    var createdBefore: Date?
    var updatedAfter: Date?
    var updatedBefore: Date?
    var query: String?

    /// Reads and checks the filters of a request.
    ///
    /// - Throws: `INVALID_ARGUMENT` naming the first bad filter.
    init(_ request: Metachat_V1_ListConversationsRequest) throws {
        guard request.status.count <= 5 else {
            throw TenantFieldViolation.error("status", "must list at most 5 statuses")
        }
        var statuses: Set<String> = []
        for (index, status) in request.status.enumerated() {
            guard let name = StoredName.status(status) else {
                throw TenantFieldViolation.error("status[\(index)]", "must be a conversation status")
            }
            statuses.insert(name)
        }
        self.statuses = statuses.sorted()
        if request.channelType != .unspecified {
            guard let name = StoredName.channelType(request.channelType) else {
                throw TenantFieldViolation.error("channelType", "must be a channel type")
            }
            self.channelType = name
        }
        if !request.channelID.isEmpty {
            self.channelID = try ConversationFieldRules.uuid(request.channelID, field: "channelId")
        }
        if !request.assigneeID.isEmpty {
            try TenantTextRules.check(request.assigneeID, field: "assigneeId", maximum: 256)
            self.assigneeID = request.assigneeID
        }
        if !request.externalUserID.isEmpty {
            try TenantTextRules.check(request.externalUserID, field: "externalUserId", maximum: 256)
            self.externalUserID = request.externalUserID
        }
        if request.hasNeedsReview {
            self.needsReview = request.needsReview.value
        }
        self.createdAfter =
            request.hasCreatedAfter ? try TimestampFieldRule.date(request.createdAfter, "createdAfter") : nil
        self.createdBefore =
            request.hasCreatedBefore ? try TimestampFieldRule.date(request.createdBefore, "createdBefore") : nil
        self.updatedAfter =
            request.hasUpdatedAfter ? try TimestampFieldRule.date(request.updatedAfter, "updatedAfter") : nil
        self.updatedBefore =
            request.hasUpdatedBefore ? try TimestampFieldRule.date(request.updatedBefore, "updatedBefore") : nil
        if !request.query.isEmpty {
            try TenantTextRules.check(request.query, field: "query", minimum: 1, maximum: 200)
            guard request.query.contains(where: { $0.isLetter || $0.isNumber }) else {
                throw TenantFieldViolation.error("query", "must contain a word to search for")
            }
            self.query = request.query
        }
    }

    /// A fingerprint of the filters, carried in page tokens so a token is used only with the
    /// filters that produced it.
    var fingerprint: String {
        var parts: [String] = [self.statuses.joined(separator: ",")]
        parts.append(self.channelType ?? "")
        parts.append(self.channelID?.uuidString ?? "")
        parts.append(self.assigneeID ?? "")
        parts.append(self.externalUserID ?? "")
        parts.append(self.needsReview.map { $0 ? "1" : "0" } ?? "")
        for date in [self.createdAfter, self.createdBefore, self.updatedAfter, self.updatedBefore] {
            parts.append(date.map { String($0.timeIntervalSince1970) } ?? "")
        }
        parts.append(self.query ?? "")
        let joined = parts.joined(separator: "\u{1F}")
        return Digest.hex(Array(Digest.sha256(Array(joined.utf8)).prefix(12)))
    }

    /// The statement listing up to `limit` conversations of `tenantID` after the cursor.
    func query(tenantID: UUID, after cursor: (micros: Int64, id: UUID)?, limit: Int) -> PostgresQuery {
        var binds: [PostgresValue?] = [.uuid(tenantID)]
        func bind(_ value: PostgresValue) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        var conditions = ["tenant_id = $1"]
        if !self.statuses.isEmpty {
            conditions.append("status IN (" + self.statuses.map { bind(.text($0)) }.joined(separator: ", ") + ")")
        }
        if let channelType = self.channelType {
            conditions.append("channel_type = \(bind(.text(channelType)))")
        }
        if let channelID = self.channelID {
            conditions.append("channel_id = \(bind(.uuid(channelID)))")
        }
        if let assigneeID = self.assigneeID {
            conditions.append("assignee_id = \(bind(.text(assigneeID)))")
        }
        if let externalUserID = self.externalUserID {
            conditions.append("external_user_id = \(bind(.text(externalUserID)))")
        }
        if let needsReview = self.needsReview {
            conditions.append(needsReview ? "needs_review" : "NOT needs_review")
        }
        if let date = self.createdAfter { conditions.append("created_at >= \(bind(.timestamp(date)))") }
        if let date = self.createdBefore { conditions.append("created_at < \(bind(.timestamp(date)))") }
        if let date = self.updatedAfter { conditions.append("updated_at >= \(bind(.timestamp(date)))") }
        if let date = self.updatedBefore { conditions.append("updated_at < \(bind(.timestamp(date)))") }
        if let query = self.query {
            conditions.append(
                """
                id IN (SELECT m.conversation_id FROM messages m WHERE m.tenant_id = $1
                       AND m.search_vector @@ plainto_tsquery('simple', \(bind(.text(query)))))
                """
            )
        }
        if let cursor {
            // The cursor's time is exact microseconds, added to the epoch so that the comparison
            // stays an index condition.
            conditions.append(
                "(updated_at, id) < ('epoch'::timestamptz + \(bind(.int64(cursor.micros))) * interval '1 microsecond', "
                    + "\(bind(.uuid(cursor.id))))")
        }
        let sql = """
            SELECT \(ConversationRow.columns) FROM conversations
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY updated_at DESC, id DESC
            LIMIT \(bind(.int64(Int64(limit))))
            """
        // Built from the constant fragments above; every value is a bind parameter.
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }
}
