internal import RPCServer
internal import SwiftProtobuf

/// Turns a serialized RPC response into the JSON the REST route answers: the whole message, or
/// the field `response_body` names.
struct ResponseRenderer: Sendable {
    let registry: SchemaRegistry

    static let encodingOptions: JSONEncodingOptions = {
        var options = JSONEncodingOptions()
        options.alwaysPrintInt64sAsNumbers = false
        options.alwaysPrintEnumsAsInts = false
        options.preserveProtoFieldNames = false
        return options
    }()

    /// Renders one response message.
    ///
    /// - Parameters:
    ///   - bytes: The serialized response.
    ///   - route: The route, for its response type and `response_body`.
    /// - Returns: UTF-8 JSON.
    func render(_ bytes: [UInt8], route: RESTRoute) throws -> [UInt8] {
        try self.render(message: try route.responseType.init(serializedBytes: bytes), route: route)
    }

    /// Renders one response message the handler answered unencoded.
    ///
    /// - Parameters:
    ///   - message: The response.
    ///   - route: The route, for its `response_body`.
    /// - Returns: UTF-8 JSON.
    func render(message: any SwiftProtobuf.Message, route: RESTRoute) throws -> [UInt8] {
        let json: [UInt8] = try message.jsonUTF8Bytes(options: Self.encodingOptions)
        guard !route.responseBody.isEmpty else { return json }
        let typeName = route.responseType.protoMessageName
        guard let field = self.registry.message(typeName)?.field(named: route.responseBody) else {
            throw RPCError(
                code: .internalError, message: "The route's response field \(route.responseBody) is unknown.")
        }
        let whole = try JSONParser.parse(json)
        return Array((whole[field.jsonName] ?? self.defaultValue(of: field)).text.utf8)
    }

    /// The JSON a field has when the message leaves it unset (proto3 JSON omits defaults).
    private func defaultValue(of field: FieldSchema) -> JSONValue {
        if field.isMap { return .object([]) }
        if field.isRepeated { return .array([]) }
        switch field.kind {
        case .string, .bytes: return .string("")
        case .bool: return .bool(false)
        case .int32, .uint32, .float, .double: return .number("0")
        case .int64, .uint64: return .string("0")
        case .enumeration(let name): return .string(self.registry.enumValues(name)?.first ?? "")
        case .message: return .object([])
        }
    }
}
