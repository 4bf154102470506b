internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

extension OutboxEvent {
    /// A `tenant.created`, `tenant.updated` or `tenant.disabled` event.
    ///
    /// `data`: `{"tenantId", "tenant": <Tenant as the API answers it>, "changedFields": [...]}`
    /// (`changedFields`, the update's mask paths, only on `tenant.updated`).
    static func tenant(
        _ type: Metachat_V1_WebhookEventType, tenant: Metachat_V1_Tenant, changedFields: [String]? = nil
    ) throws -> OutboxEvent? {
        guard let tenantID = UUID(canonicalText: tenant.id) else { return nil }
        var data =
            "{\"tenantId\":\(try Self.jsonString(tenantID.lowercasedString)),\"tenant\":\(try tenant.jsonString())"
        if let changedFields {
            data += ",\"changedFields\":\(try Self.jsonStrings(changedFields))"
        }
        data += "}"
        return OutboxEvent(tenantID: tenantID, type: type, occurredAt: Date(), dataJSON: data)
    }

    /// An `api_key.created`, `api_key.revoked` or `api_key.rotated` event of a tenant key.
    ///
    /// `data`: `{"tenantId", "apiKey": <ApiKey as the API answers it: id, label, prefix,
    /// lastFour, times; never the key>, "actor"}`.
    static func apiKey(
        _ type: Metachat_V1_WebhookEventType, key: Metachat_V1_ApiKey, tenantID: UUID, actor: String
    ) throws -> OutboxEvent {
        let data =
            "{\"tenantId\":\(try Self.jsonString(tenantID.lowercasedString)),\"apiKey\":\(try key.jsonString()),"
            + "\"actor\":\(try Self.jsonString(actor))}"
        return OutboxEvent(tenantID: tenantID, type: type, occurredAt: Date(), dataJSON: data)
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) throws -> String {
        String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
    }

    /// `texts` as a JSON array of strings.
    static func jsonStrings(_ texts: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(texts), as: UTF8.self)
    }
}
