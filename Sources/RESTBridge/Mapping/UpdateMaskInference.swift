internal import SwiftProtobuf

/// The `update_mask` of a REST PATCH that gives none, inferred from the JSON keys present in the
/// body, as grpc-gateway does (`runtime.FieldMaskFromRequestBody`), so that a client can send
/// only the fields it changes, explicit zero, `false` and empty values included.
///
/// A route gets an inferred mask when its HTTP method is `PATCH`, its body is one field of the
/// request (not `*`), and the request has a field `update_mask` of type
/// `google.protobuf.FieldMask` that neither the query nor the path set. Paths use proto field
/// names relative to the body field: a nested message given as a non-empty JSON object adds the
/// paths of its members (`{"settings":{"rag":{"topK":0}}}` → `settings.rag.top_k`); anything
/// else is one path of its own: scalars, `null`, lists, maps, well-known types and empty objects
/// (`{"settings":{}}` → `settings`). A body of `{}` infers no path.
struct UpdateMaskInference {
    let registry: SchemaRegistry

    /// The request's `update_mask` field when `route` infers a mask, else `nil`.
    ///
    /// - Parameters:
    ///   - route: The matched route.
    ///   - schema: The request message's schema.
    func maskField(of route: RESTRoute, in schema: MessageSchema) -> FieldSchema? {
        guard route.httpMethod == "PATCH", !route.body.isEmpty, route.body != "*",
            let mask = schema.field(named: "update_mask"), mask.kind == .message("google.protobuf.FieldMask"),
            !mask.isRepeated
        else { return nil }
        return mask
    }

    /// The paths the keys of `body` name, relative to message `typeName`, in the body's order.
    ///
    /// - Parameters:
    ///   - body: The JSON value of the body field.
    ///   - typeName: The full name of the body field's message type.
    func paths(of body: JSONValue, in typeName: String) -> [String] {
        guard case .object(let members) = body, let schema = self.registry.message(typeName) else { return [] }
        var paths: [String] = []
        for (key, value) in members {
            guard let field = schema.field(named: key) else { continue }
            self.collect(value, field: field, path: field.name, into: &paths)
        }
        return paths
    }

    /// The serialized `update_mask` field holding `paths`, to merge into the request message.
    ///
    /// - Parameters:
    ///   - paths: The inferred paths.
    ///   - field: The request's `update_mask` field.
    func encoded(_ paths: [String], as field: FieldSchema) throws -> [UInt8] {
        let mask: [UInt8] = try Google_Protobuf_FieldMask(protoPaths: paths).serializedBytes()
        var bytes: [UInt8] = []
        BinaryParameterWriter.writeLengthDelimited(field.number, mask, into: &bytes)
        return bytes
    }

    private func collect(_ value: JSONValue, field: FieldSchema, path: String, into paths: inout [String]) {
        guard case .object(let members) = value, !members.isEmpty, !field.isRepeated, !field.isMap,
            case .message(let typeName) = field.kind, WellKnownJSON(fullName: typeName) == nil,
            let schema = self.registry.message(typeName)
        else {
            paths.append(path)
            return
        }
        for (key, child) in members {
            guard let childField = schema.field(named: key) else { continue }
            self.collect(child, field: childField, path: path + "." + childField.name, into: &paths)
        }
    }
}
