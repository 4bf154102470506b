internal import FoundationEssentials
package import MetaChatAPI
package import RPCServer
package import Storage
package import SwiftProtobuf

/// Answers `metachat.v1.ChannelService`: a tenant's channels with their sealed credentials and
/// health, and the connection test against the Graph API.
///
/// Every method checks the request's text (``RequestTextCheck``), resolves the tenant it acts on
/// (``TenantAccessResolver``) and runs its SQL in a transaction scoped to that tenant: a channel
/// of another tenant answers `NOT_FOUND`, exactly like one that does not exist. Credentials are
/// write-only: responses carry their last four characters only.
///
/// ```swift
/// ChannelHandler(pool: postgres, sealing: ChannelSecretSealing(envelope: envelope), graph: transport,
///                configuration: .defaults)
///     .registerMethods(with: &router)
/// ```
package struct ChannelHandler: Metachat_V1_ChannelService.Handler {
    let pool: PostgresPool
    let access: TenantAccessResolver
    let sealing: ChannelSecretSealing
    let graph: any GraphAPITransport
    let configuration: ChannelConfiguration

    /// Creates the handler.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated.
    ///   - sealing: Seals and opens channel credentials.
    ///   - graph: Reaches the Graph API (connection tests).
    ///   - configuration: `API_URL` and the Graph API's location.
    package init(
        pool: PostgresPool, sealing: ChannelSecretSealing, graph: any GraphAPITransport,
        configuration: ChannelConfiguration
    ) {
        self.pool = pool
        self.access = TenantAccessResolver(pool: pool)
        self.sealing = sealing
        self.graph = graph
        self.configuration = configuration
    }

    package func createChannel(request: Metachat_V1_CreateChannelRequest, context: ServerContext) async throws
        -> Metachat_V1_Channel
    {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context)
        let type = try ChannelFieldRules.type(request.type, config: request.config)
        let id = UUID()
        var write = ChannelWrite()
        write.name = try ChannelFieldRules.name(request.name)
        write.enabled = request.hasEnabled ? request.enabled.value : true
        var widgetID: String?
        switch request.config {
        case .webChat(let config):
            write.allowedOrigins = try ChannelFieldRules.origins(config.allowedOrigins, field: "webChat.allowedOrigins")
            write.greeting = try ChannelFieldRules.greeting(config.greeting, field: "webChat.greeting")
            widgetID = Self.newWidgetID()
        case .whatsapp(let config):
            write.phoneNumberID = try ChannelFieldRules.metaID(config.phoneNumberID, field: "whatsapp.phoneNumberId")
            write.businessAccountID = try ChannelFieldRules.metaID(
                config.businessAccountID, field: "whatsapp.businessAccountId")
            write.accessToken = try self.sealed(
                ChannelFieldRules.credential(config.accessToken, field: "whatsapp.accessToken"), id, .accessToken)
            write.appSecret = try self.sealed(
                ChannelFieldRules.credential(config.appSecret, field: "whatsapp.appSecret"), id, .appSecret)
            write.verifyToken = try self.sealed(
                ChannelFieldRules.verifyToken(config.verifyToken, field: "whatsapp.verifyToken"), id, .verifyToken)
        case .messenger(let config):
            write.pageID = try ChannelFieldRules.metaID(config.pageID, field: "messenger.pageId")
            write.accessToken = try self.sealed(
                ChannelFieldRules.credential(config.pageAccessToken, field: "messenger.pageAccessToken"), id,
                .accessToken)
            write.appSecret = try self.sealed(
                ChannelFieldRules.credential(config.appSecret, field: "messenger.appSecret"), id, .appSecret)
            write.verifyToken = try self.sealed(
                ChannelFieldRules.verifyToken(config.verifyToken, field: "messenger.verifyToken"), id, .verifyToken)
        case nil:
            break
        }
        let values = write
        let widget = widgetID
        return try await self.transaction(access.tenantID) { connection in
            try await self.store(connection, access.tenantID).insert(
                id: id, type: ChannelFieldRules.storedName(type), widgetID: widget, values)
        }.channel
    }

    package func getChannel(request: Metachat_V1_GetChannelRequest, context: ServerContext) async throws
        -> Metachat_V1_Channel
    {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.channelID)
        let id = try ConversationFieldRules.uuid(request.channelID, field: "channelId")
        let row = try await self.transaction(access.tenantID) { connection in
            try await self.store(connection, access.tenantID).find(id)
        }
        guard let row else { throw Self.channelNotFound(id) }
        return row.channel
    }

    package func listChannels(request: Metachat_V1_ListChannelsRequest, context: ServerContext) async throws
        -> Metachat_V1_ListChannelsResponse
    {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context)
        let pageSize = try ChannelFieldRules.pageSize(request.pageSize)
        let type = try ChannelFieldRules.filterType(request.type)
        let enabled = request.hasEnabled ? request.enabled.value : nil
        let filters = "channels:\(type ?? "*"):\(enabled.map { $0 ? "1" : "0" } ?? "*")"
        var cursor: (micros: Int64, id: UUID)?
        if !request.pageToken.isEmpty {
            let token = try KeysetPageToken(decoding: request.pageToken, filters: filters, method: "ListChannels")
            guard let id = token.id else {
                throw TenantFieldViolation.error("pageToken", "is not a token from a previous ListChannels response")
            }
            cursor = (token.position, id)
        }
        let after = cursor
        let rows = try await self.transaction(access.tenantID) { connection in
            try await self.store(connection, access.tenantID).list(
                after: after, limit: pageSize + 1, type: type, enabled: enabled)
        }
        var response = Metachat_V1_ListChannelsResponse()
        response.channels = rows.prefix(pageSize).map(\.channel)
        if rows.count > pageSize, let last = rows.prefix(pageSize).last {
            response.nextPageToken = KeysetPageToken(position: last.createdMicros, id: last.id, filters: filters)
                .encoded()
        }
        return response
    }

    package func updateChannel(request: Metachat_V1_UpdateChannelRequest, context: ServerContext) async throws
        -> Metachat_V1_Channel
    {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.channelID)
        let id = try ConversationFieldRules.uuid(request.channelID, field: "channelId")
        let current = try await self.transaction(access.tenantID) { connection in
            try await self.store(connection, access.tenantID).find(id)
        }
        guard let current else { throw Self.channelNotFound(id) }
        let configCase = Self.configCase(current.type)
        let body = request.channel
        let mask = try ChannelUpdateMask(paths: request.updateMask.paths, body: body, configCase: configCase)
        var write = ChannelWrite()
        if mask.contains("name") { write.name = try ChannelFieldRules.name(body.name, field: "channel.name") }
        if mask.contains("enabled") { write.enabled = body.enabled }
        if mask.contains("web_chat.allowed_origins") {
            write.allowedOrigins = try ChannelFieldRules.origins(
                body.webChat.allowedOrigins, field: "channel.webChat.allowedOrigins")
        }
        if mask.contains("web_chat.greeting") {
            write.greeting = try ChannelFieldRules.greeting(body.webChat.greeting, field: "channel.webChat.greeting")
        }
        if mask.contains("whatsapp.phone_number_id") {
            write.phoneNumberID = try ChannelFieldRules.metaID(
                body.whatsapp.phoneNumberID, field: "channel.whatsapp.phoneNumberId")
        }
        if mask.contains("whatsapp.business_account_id") {
            write.businessAccountID = try ChannelFieldRules.metaID(
                body.whatsapp.businessAccountID, field: "channel.whatsapp.businessAccountId")
        }
        if mask.contains("messenger.page_id") {
            write.pageID = try ChannelFieldRules.metaID(body.messenger.pageID, field: "channel.messenger.pageId")
        }
        let credentials: [(String, String, ChannelSecretSealing.Credential, Bool)] = [
            ("whatsapp.access_token", body.whatsapp.accessToken, .accessToken, false),
            ("whatsapp.app_secret", body.whatsapp.appSecret, .appSecret, false),
            ("whatsapp.verify_token", body.whatsapp.verifyToken, .verifyToken, true),
            ("messenger.page_access_token", body.messenger.pageAccessToken, .accessToken, false),
            ("messenger.app_secret", body.messenger.appSecret, .appSecret, false),
            ("messenger.verify_token", body.messenger.verifyToken, .verifyToken, true),
        ]
        for (path, text, credential, isVerifyToken) in credentials where mask.contains(path) {
            let field = "channel." + ChannelUpdateMask.camel(path)
            let checked =
                isVerifyToken
                ? try ChannelFieldRules.verifyToken(text, field: field)
                : try ChannelFieldRules.credential(text, field: field)
            let sealed = try self.sealed(checked, id, credential)
            switch credential {
            case .accessToken: write.accessToken = sealed
            case .appSecret: write.appSecret = sealed
            case .verifyToken: write.verifyToken = sealed
            }
        }
        let values = write
        let row = try await self.transaction(access.tenantID) { connection in
            try await self.store(connection, access.tenantID).update(id, values)
        }
        guard let row else { throw Self.channelNotFound(id) }
        return row.channel
    }

    package func deleteChannel(request: Metachat_V1_DeleteChannelRequest, context: ServerContext) async throws
        -> Google_Protobuf_Empty
    {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.channelID)
        let id = try ConversationFieldRules.uuid(request.channelID, field: "channelId")
        let deleted = try await self.transaction(access.tenantID) { connection in
            try await self.store(connection, access.tenantID).delete(id)
        }
        guard deleted else { throw Self.channelNotFound(id) }
        return Google_Protobuf_Empty()
    }

    package func testChannelConnection(
        request: Metachat_V1_TestChannelConnectionRequest, context: ServerContext
    ) async throws -> Metachat_V1_TestChannelConnectionResponse {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.channelID)
        let id = try ConversationFieldRules.uuid(request.channelID, field: "channelId")
        let found = try await self.transaction(access.tenantID) { connection in
            try await self.store(connection, access.tenantID).find(id)
        }
        guard let row = found else { throw Self.channelNotFound(id) }
        var response = Metachat_V1_TestChannelConnectionResponse()
        let objectID: String
        switch row.channel.config {
        case .whatsapp(let config)?: objectID = config.phoneNumberID
        case .messenger(let config)?: objectID = config.pageID
        default:
            response.ok = true
            response.channel = row.channel
            return response
        }
        let problem = await self.probe(row: row, objectID: objectID)
        let updated = try await self.transaction(access.tenantID) { connection in
            let store = self.store(connection, access.tenantID)
            try await store.recordOutcome(id, error: problem, isSend: false)
            return try await store.find(id)
        }
        response.ok = problem == nil
        response.detail = problem ?? ""
        response.channel = updated?.channel ?? row.channel
        return response
    }

    // MARK: Helpers

    /// What is wrong reaching `GET /{version}/{objectID}` with the channel's token; `nil` when
    /// the Graph API answered 200.
    private func probe(row: ChannelRow, objectID: String) async -> String? {
        guard let stored = row.sealed(.accessToken) else { return "No access token is stored." }
        let token: String
        do {
            token = try self.sealing.open(stored, channelID: row.id, .accessToken)
        } catch {
            return "The stored access token cannot be opened with the server's SECRETS_ENCRYPTION_KEY."
        }
        do {
            let response = try await self.graph.send(
                method: "GET", path: "\(objectID)?fields=id", accessToken: token, body: nil)
            if response.statusCode == 200 { return nil }
            return GraphAPIError(statusCode: response.statusCode, body: response.body).description
        } catch {
            return "Graph API unreachable: \(error)"
        }
    }

    /// The store on a tenant's connection.
    func store(_ connection: PostgresConnection, _ tenantID: UUID) -> ChannelStore {
        ChannelStore(connection: connection, tenantID: tenantID, publicBaseURL: self.configuration.publicBaseURL)
    }

    /// Runs `body` in a transaction scoped to `tenantID`, turning PostgreSQL failures into RPC
    /// statuses.
    func transaction<Result: Sendable>(_ tenantID: UUID, _ body: (PostgresConnection) async throws -> Result)
        async throws -> Result
    {
        do {
            return try await self.pool.withTenantTransaction(tenantID: tenantID) { try await body($0) }
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
    }

    /// The sealed form of a new credential with its last four characters.
    func sealed(_ text: String, _ channelID: UUID, _ credential: ChannelSecretSealing.Credential) throws
        -> ChannelWrite.SealedCredential
    {
        do {
            return ChannelWrite.SealedCredential(
                sealed: try self.sealing.seal(text, channelID: channelID, credential),
                lastFour: SecretsEnvelope.lastFour(of: text))
        } catch {
            throw RPCError(
                code: .failedPrecondition,
                message: "Channel credentials cannot be stored: the server has no SECRETS_ENCRYPTION_KEY.")
        }
    }

    /// The config case's field name of a type.
    static func configCase(_ type: Metachat_V1_ChannelType) -> String {
        switch type {
        case .webChat: "web_chat"
        case .whatsapp: "whatsapp"
        default: "messenger"
        }
    }

    /// A new public widget id: `wgt_` and 24 random base32 characters.
    static func newWidgetID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var generator = SystemRandomNumberGenerator()
        return "wgt_" + String((0..<24).map { _ in alphabet[Int(generator.next() % 32)] })
    }

    /// The answer for a channel the tenant does not have (another tenant's answers the same).
    static func channelNotFound(_ id: UUID) -> RPCError {
        RPCError(code: .notFound, message: "Channel \(id.lowercasedString) was not found.")
    }
}
