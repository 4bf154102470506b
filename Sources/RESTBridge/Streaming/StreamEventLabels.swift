/// Names a streamed message's Server-Sent Event: `id:` from its `event_id` field (so a client's
/// `Last-Event-ID` can resume), `event:` from the member of its oneof that is set (e.g.
/// `messageCreated`), or else the message type's short name.
struct StreamEventLabels: Sendable {
    private let idKey: String?
    private let oneofKeys: Set<String>
    private let typeName: String

    /// Reads the labels' sources from the response message's schema.
    ///
    /// - Parameters:
    ///   - schema: The response message, if known.
    ///   - fallbackName: The full type name, when the schema is unknown.
    init(schema: MessageSchema?, fallbackName: String) {
        self.idKey = schema?.field(named: "event_id")?.jsonName
        self.oneofKeys = Set(schema?.fields.filter { $0.oneofName != nil }.map(\.jsonName) ?? [])
        self.typeName = schema?.shortName ?? fallbackName
    }

    /// The id and event name of one message.
    ///
    /// - Parameter json: The message as JSON.
    func labels(of json: [UInt8]) -> (id: String?, name: String) {
        guard self.idKey != nil || !self.oneofKeys.isEmpty, case .object(let members) = try? JSONParser.parse(json)
        else { return (nil, self.typeName) }
        var id: String?
        if let idKey = self.idKey, case .string(let value)? = members.first(where: { $0.key == idKey })?.value {
            id = value
        }
        let name = members.first { self.oneofKeys.contains($0.key) }?.key ?? self.typeName
        return (id, name)
    }
}
