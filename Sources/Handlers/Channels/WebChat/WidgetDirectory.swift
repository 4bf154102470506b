internal import FoundationEssentials
internal import MetaChatAPI
internal import RPCServer
package import Storage
internal import SwiftProtobuf

/// Finds the enabled `WEB_CHAT` channel behind a public widget id, with its tenant's widget
/// settings (the public endpoints carry no key, so the lookup runs in the admin scope).
package struct WidgetDirectory: Sendable {
    let pool: PostgresPool

    /// Creates a directory.
    package init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The widget's channel; `nil` when no enabled web chat channel of an enabled tenant has this
    /// id.
    ///
    /// - Throws: `UNAVAILABLE` when PostgreSQL is.
    package func find(widgetID: String) async throws -> WidgetChannel? {
        guard !widgetID.isEmpty, widgetID.utf8.count <= 64 else { return nil }
        let found: (row: ChannelRow, settings: String, name: String)?
        do {
            found = try await self.pool.withAdminTransaction { connection in
                guard
                    let row = try await connection.query(
                        """
                        SELECT \(unescaped: ChannelRow.columns) FROM channels
                        WHERE widget_id = \(widgetID) AND type = 'WEB_CHAT' AND enabled
                        """
                    ).first
                else { return nil }
                let channel = try ChannelRow(row, publicBaseURL: "")
                guard
                    let tenant = try await connection.query(
                        "SELECT settings::text AS settings, name FROM tenants WHERE id = \(channel.tenantID) AND enabled"
                    ).first
                else { return nil }
                return (
                    channel, try tenant.decode("settings", as: String.self), try tenant.decode("name", as: String.self)
                )
            }
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
        guard let found else { return nil }
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        let settings =
            (try? Metachat_V1_TenantSettings(jsonString: found.settings, options: options))?.widget
            ?? Metachat_V1_WidgetSettings()
        let config = found.row.channel.webChat
        return WidgetChannel(
            tenantID: found.row.tenantID, channelID: found.row.id, widgetID: widgetID,
            allowedOrigins: config.allowedOrigins.isEmpty ? settings.allowedOrigins : config.allowedOrigins,
            greeting: config.greeting.isEmpty ? settings.greeting : config.greeting,
            title: settings.title.isEmpty ? found.name : settings.title)
    }
}
