internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

extension OutboxEvent {
    /// A `document.ready` or `document.failed` event: ingestion of a document's current content
    /// ended.
    ///
    /// `data`: `{"tenantId", "document": <Document as the API answers it: status, chunk and page
    /// counts, attempts, the last error>}`.
    static func document(_ type: Metachat_V1_WebhookEventType, document: Metachat_V1_Document) throws
        -> OutboxEvent?
    {
        guard let tenantID = UUID(canonicalText: document.tenantID) else { return nil }
        let data =
            "{\"tenantId\":\(try Self.jsonString(tenantID.lowercasedString)),\"document\":\(try document.jsonString())}"
        return OutboxEvent(tenantID: tenantID, type: type, occurredAt: Date(), dataJSON: data)
    }
}
