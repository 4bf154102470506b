/// Which URL a Meta callback came to.
package enum MetaCallbackTarget: Sendable, Hashable {
    /// `/api/channels/{channel_id}/callback`: one channel.
    case channel(String)
    /// `/api/integrations/{whatsapp|messenger}/{tenant_id}`: the original platform's URL, any
    /// channel of that type of the tenant (the one whose app secret signed the body).
    case integration(platform: String, tenantID: String)
}
