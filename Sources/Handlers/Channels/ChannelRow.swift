internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

/// A `channels` row: the channel as clients see it (credentials blanked, `*_last_four` set) and
/// its sealed credentials for the parts that talk to Meta.
struct ChannelRow: Sendable {
    /// The columns every channel query selects or returns. Constant text.
    static let columns: StaticString = """
        id, tenant_id, type, name, enabled, widget_id, array_to_string(allowed_origins, ' ') AS allowed_origins,
        greeting, phone_number_id, business_account_id, page_id, access_token, access_token_last_four,
        app_secret, app_secret_last_four, verify_token, verify_token_last_four, last_inbound_at, last_send_at,
        last_error, last_error_at, created_at, updated_at,
        (extract(epoch FROM created_at) * 1000000)::int8 AS created_micros
        """

    /// The channel as responses show it (no credential).
    var channel: Metachat_V1_Channel
    /// Its ID.
    var id: UUID
    /// The owning tenant.
    var tenantID: UUID
    /// Its type.
    var type: Metachat_V1_ChannelType
    /// Whether it accepts and answers messages.
    var enabled: Bool
    /// The sealed access token (Meta channels).
    var sealedAccessToken: String?
    /// The sealed app secret (Meta channels).
    var sealedAppSecret: String?
    /// The sealed verify token (Meta channels).
    var sealedVerifyToken: String?
    /// `created_at` in microseconds (the page cursor).
    var createdMicros: Int64

    /// Decodes a row selected with ``columns``.
    ///
    /// - Parameters:
    ///   - row: The row.
    ///   - publicBaseURL: `API_URL`, which the callback URL starts with.
    init(_ row: PostgresRow, publicBaseURL: String) throws {
        self.id = try row.decode("id")
        self.tenantID = try row.decode("tenant_id")
        var channel = Metachat_V1_Channel()
        channel.id = self.id.lowercasedString
        channel.tenantID = self.tenantID.lowercasedString
        let typeName = try row.decode("type", as: String.self)
        self.type = ChannelFieldRules.type(named: typeName)
        channel.type = self.type
        channel.name = try row.decode("name")
        self.enabled = try row.decode("enabled")
        channel.enabled = self.enabled
        switch self.type {
        case .webChat:
            var config = Metachat_V1_WebChatConfig()
            config.widgetID = try row.decode("widget_id", as: String?.self) ?? ""
            config.allowedOrigins = try row.decode("allowed_origins", as: String.self).split(separator: " ").map(
                String.init)
            config.greeting = try row.decode("greeting")
            channel.webChat = config
        case .whatsapp:
            var config = Metachat_V1_WhatsAppConfig()
            config.phoneNumberID = try row.decode("phone_number_id", as: String?.self) ?? ""
            config.businessAccountID = try row.decode("business_account_id", as: String?.self) ?? ""
            config.accessTokenLastFour = try row.decode("access_token_last_four")
            config.appSecretLastFour = try row.decode("app_secret_last_four")
            config.verifyTokenLastFour = try row.decode("verify_token_last_four")
            channel.whatsapp = config
        default:
            var config = Metachat_V1_MessengerConfig()
            config.pageID = try row.decode("page_id", as: String?.self) ?? ""
            config.pageAccessTokenLastFour = try row.decode("access_token_last_four")
            config.appSecretLastFour = try row.decode("app_secret_last_four")
            config.verifyTokenLastFour = try row.decode("verify_token_last_four")
            channel.messenger = config
        }
        if self.type == .whatsapp || self.type == .messenger {
            channel.callbackURL = Self.callbackURL(base: publicBaseURL, channelID: self.id)
        }
        var health = Metachat_V1_ChannelHealth()
        if let at = try row.decode("last_inbound_at", as: Date?.self) {
            health.lastInboundAt = Google_Protobuf_Timestamp(date: at)
        }
        if let at = try row.decode("last_send_at", as: Date?.self) {
            health.lastSendAt = Google_Protobuf_Timestamp(date: at)
        }
        health.lastError = try row.decode("last_error")
        if let at = try row.decode("last_error_at", as: Date?.self) {
            health.lastErrorAt = Google_Protobuf_Timestamp(date: at)
        }
        channel.health = health
        channel.createdAt = Google_Protobuf_Timestamp(date: try row.decode("created_at", as: Date.self))
        channel.updatedAt = Google_Protobuf_Timestamp(date: try row.decode("updated_at", as: Date.self))
        self.channel = channel
        self.sealedAccessToken = try row.decode("access_token")
        self.sealedAppSecret = try row.decode("app_secret")
        self.sealedVerifyToken = try row.decode("verify_token")
        self.createdMicros = try row.decode("created_micros")
    }

    /// The public callback URL Meta is configured with: `{API_URL}/api/channels/{id}/callback`.
    static func callbackURL(base: String, channelID: UUID) -> String {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        return "\(base)/api/channels/\(channelID.lowercasedString)/callback"
    }

    /// The sealed form of `credential`, if stored.
    func sealed(_ credential: ChannelSecretSealing.Credential) -> String? {
        switch credential {
        case .accessToken: self.sealedAccessToken
        case .appSecret: self.sealedAppSecret
        case .verifyToken: self.sealedVerifyToken
        }
    }
}
