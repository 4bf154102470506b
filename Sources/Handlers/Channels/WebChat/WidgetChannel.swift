package import FoundationEssentials

/// A `WEB_CHAT` channel as the public widget endpoints see it: whose it is, where it may be
/// embedded and what it shows.
package struct WidgetChannel: Sendable, Equatable {
    /// The owning tenant.
    package var tenantID: UUID
    /// The channel.
    package var channelID: UUID
    /// Its public widget id.
    package var widgetID: String
    /// Origins allowed to embed it: the channel's, else the tenant's `widget.allowed_origins`;
    /// empty: any origin.
    package var allowedOrigins: [String]
    /// The greeting: the channel's, else the tenant's.
    package var greeting: String
    /// The header title: the tenant's `widget.title`, else the tenant's name.
    package var title: String

    /// Creates a channel view.
    package init(
        tenantID: UUID, channelID: UUID, widgetID: String, allowedOrigins: [String], greeting: String, title: String
    ) {
        self.tenantID = tenantID
        self.channelID = channelID
        self.widgetID = widgetID
        self.allowedOrigins = allowedOrigins
        self.greeting = greeting
        self.title = title
    }

    /// Whether a request with this `Origin` header may use the widget: requests without one
    /// (not from a browser, which always sends it on WebSocket handshakes and cross-origin
    /// fetches) may; otherwise the origin must be listed (compared without regard to case), or the
    /// list empty.
    package func allows(origin: String?) -> Bool {
        guard let origin else { return true }
        guard !self.allowedOrigins.isEmpty else { return true }
        let wanted = origin.lowercased()
        return self.allowedOrigins.contains { $0.lowercased() == wanted }
    }
}
