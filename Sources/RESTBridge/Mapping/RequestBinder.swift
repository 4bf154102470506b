internal import RPCServer
internal import SwiftProtobuf

/// Builds an RPC request message from an HTTP request, as `google.api.http` describes: the JSON
/// body fills all fields (`*`) or one field, path variables and query parameters fill the rest;
/// path variables win over the body. Bad input is refused with a message naming the field.
struct RequestBinder: Sendable {
    let registry: SchemaRegistry

    private static let decodingOptions: JSONDecodingOptions = {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = false
        return options
    }()

    /// The parts of an HTTP request a route binds.
    struct Input {
        var pathValues: [(fieldPath: String, value: String)]
        var target: String
        var body: [UInt8]
        var contentType: String?
        var lastEventID: String?
    }

    /// Binds a request.
    ///
    /// - Parameters:
    ///   - route: The matched route.
    ///   - input: The request's parts.
    /// - Returns: The serialized request message.
    func bind(_ route: RESTRoute, _ input: Input) throws(BridgeError) -> [UInt8] {
        let typeName = route.requestType.protoMessageName
        guard let schema = self.registry.message(typeName) else {
            throw .rpc(RPCError(code: .internalError, message: "No schema for \(typeName)."))
        }
        let checker = JSONShapeChecker(registry: self.registry)
        // Parameters go straight into the binary form; the values are kept to build a JSON
        // object only when one cannot (then SwiftProtobuf's JSON decoding binds them).
        var bound: [(value: JSONValue, jsonPath: [String], appending: Bool)] = []
        var boundTopLevel: [String] = []
        var binary: BinaryParameterWriter? = BinaryParameterWriter(registry: self.registry)
        func bindValue(_ value: JSONValue, chain: [FieldSchema], jsonPath: [String], appending: Bool) {
            bound.append((value, jsonPath, appending))
            if let first = jsonPath.first {
                boundTopLevel.append(first)
            }
            do {
                try binary?.append(value, along: chain)
            } catch {
                binary = nil
            }
        }
        var boundByPath: Set<String> = []
        for (fieldPath, value) in input.pathValues {
            let (jsonPath, chain) = try self.resolve(fieldPath, in: schema, source: "Path parameter")
            guard let field = chain.last else { continue }
            let json = try self.typed(value, field: field, name: fieldPath, source: "Path parameter", checker: checker)
            bindValue(json, chain: chain, jsonPath: jsonPath, appending: false)
            boundByPath.insert(jsonPath.joined(separator: "."))
        }
        let pairs: [(name: String, value: String)]
        do {
            pairs = try QueryString.pairs(in: input.target)
        } catch {
            throw .invalidArgument("The query string has a malformed escape in '\(error.pair)'.")
        }
        let bodyField = route.body == "*" || route.body.isEmpty ? nil : schema.field(named: route.body)
        var boundByQuery: Set<String> = []
        for (name, value) in pairs {
            if route.body == "*" {
                throw .invalidArgument(
                    "Query parameter '\(name)' is not accepted: \(route.httpMethod) \(route.pathTemplate) takes its fields in the JSON body."
                )
            }
            let (jsonPath, chain) = try self.resolve(name, in: schema, source: "Query parameter")
            guard var field = chain.last else { continue }
            let joined = jsonPath.joined(separator: ".")
            if boundByPath.contains(joined) {
                throw .invalidArgument("Query parameter '\(name)' is already bound by the path.")
            }
            if let bodyField, jsonPath.first == bodyField.jsonName {
                throw .invalidArgument("Query parameter '\(name)' is part of the body field '\(bodyField.jsonName)'.")
            }
            try self.requireQueryable(field, name: name)
            let repeated = field.isRepeated
            if !repeated && !boundByQuery.insert(joined).inserted {
                throw .invalidArgument("Query parameter '\(name)' is given more than once.")
            }
            field.isRepeated = false
            let json = try self.typed(value, field: field, name: name, source: "Query parameter", checker: checker)
            var leafChain = chain
            leafChain[leafChain.count - 1] = field
            bindValue(json, chain: leafChain, jsonPath: jsonPath, appending: repeated)
        }
        if let lastEventID = input.lastEventID, let resume = schema.field(named: "after_event_id"),
            resume.kind == .string, !boundTopLevel.contains(resume.jsonName)
        {
            bindValue(.string(lastEventID), chain: [resume], jsonPath: [resume.jsonName], appending: false)
        }

        let parameters: [UInt8]
        if let binary {
            parameters = binary.bytes
        } else if !bound.isEmpty {
            var params = JSONValue.object([])
            for (value, jsonPath, appending) in bound {
                params.insert(value, at: jsonPath[...], appending: appending)
            }
            do {
                parameters = try route.requestType.init(
                    jsonUTF8Bytes: Array(params.text.utf8), options: Self.decodingOptions
                ).serializedBytes()
            } catch {
                throw .invalidArgument("The path and query parameters do not fit \(typeName): \(error).")
            }
        } else {
            parameters = []
        }
        if input.body.isEmpty {
            // No body: the parameters alone are the request (the common GET).
            return parameters
        }
        var message = try self.decodeBody(route, input, schema: schema, checker: checker)
        let inference = UpdateMaskInference(registry: self.registry)
        var inferredMask: [UInt8] = []
        if let maskField = inference.maskField(of: route, in: schema),
            !boundByQuery.contains(maskField.jsonName), !boundByPath.contains(maskField.jsonName),
            let bodyField = schema.field(named: route.body), case .message(let bodyType) = bodyField.kind,
            let body = try? JSONParser.parse(input.body)
        {
            let paths = inference.paths(of: body, in: bodyType)
            do {
                inferredMask = paths.isEmpty ? [] : try inference.encoded(paths, as: maskField)
            } catch {
                throw .rpc(RPCError(code: .internalError, message: "The inferred update mask could not be encoded."))
            }
        }
        do {
            if !inferredMask.isEmpty {
                try message.merge(serializedBytes: inferredMask)
            }
            if !parameters.isEmpty {
                try message.merge(serializedBytes: parameters)
            }
            return try message.serializedBytes()
        } catch {
            throw .rpc(RPCError(code: .internalError, message: "The request could not be encoded."))
        }
    }

    private func decodeBody(
        _ route: RESTRoute,
        _ input: Input,
        schema: MessageSchema,
        checker: JSONShapeChecker
    ) throws(BridgeError) -> any SwiftProtobuf.Message {
        if route.body.isEmpty {
            guard input.body.isEmpty else {
                throw .invalidArgument("\(route.httpMethod) \(route.pathTemplate) takes no request body.")
            }
            return route.requestType.init()
        }
        if input.body.isEmpty {
            return route.requestType.init()
        }
        if let contentType = input.contentType, !Self.isJSON(contentType) {
            throw .unsupportedMediaType(contentType)
        }
        var field: FieldSchema?
        var bytes = input.body
        if route.body != "*" {
            guard let bodyField = schema.field(named: route.body) else {
                throw .rpc(RPCError(code: .internalError, message: "The route's body field \(route.body) is unknown."))
            }
            field = bodyField
            bytes = Array("{\(JSONText.quoted(bodyField.jsonName)):".utf8) + input.body + Array("}".utf8)
        }
        do {
            return try route.requestType.init(jsonUTF8Bytes: bytes, options: Self.decodingOptions)
        } catch {
            throw self.diagnose(input.body, field: field, schema: schema, checker: checker, decodingError: error)
        }
    }

    /// Explains why a body did not decode: where the JSON is malformed, or which field is wrong.
    private func diagnose(
        _ body: [UInt8],
        field: FieldSchema?,
        schema: MessageSchema,
        checker: JSONShapeChecker,
        decodingError: any Error
    ) -> BridgeError {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            return .invalidArgument("The request body is not valid JSON: \(error).")
        }
        do {
            if let field {
                try checker.check(value, field: field, path: field.jsonName)
            } else {
                try checker.check(value, message: schema.fullName, path: "")
            }
        } catch {
            return .invalidArgument(error.description)
        }
        return .invalidArgument("The request body does not fit \(schema.fullName): \(decodingError).")
    }

    /// Resolves `a.b` (proto or JSON names) to the JSON member path and the chain of fields
    /// from the request message to the leaf.
    private func resolve(
        _ fieldPath: String,
        in schema: MessageSchema,
        source: String
    ) throws(BridgeError) -> ([String], [FieldSchema]) {
        var current = schema
        var jsonPath: [String] = []
        var chain: [FieldSchema] = []
        let components = fieldPath.split(separator: ".", omittingEmptySubsequences: false)
        for (index, component) in components.enumerated() {
            guard let field = current.field(named: component) else {
                throw .invalidArgument("\(source) '\(fieldPath)' is not a field of \(current.fullName).")
            }
            jsonPath.append(field.jsonName)
            chain.append(field)
            if index == components.count - 1 {
                return (jsonPath, chain)
            }
            guard case .message(let next) = field.kind, !field.isRepeated, WellKnownJSON(fullName: next) == nil,
                let nextSchema = self.registry.message(next)
            else {
                throw .invalidArgument("\(source) '\(fieldPath)': '\(component)' has no fields to select.")
            }
            current = nextSchema
        }
        throw .invalidArgument("\(source) '\(fieldPath)' is empty.")
    }

    private func requireQueryable(_ field: FieldSchema, name: String) throws(BridgeError) {
        if field.isMap {
            throw .invalidArgument("Query parameter '\(name)' is a map; send it in a JSON body instead.")
        }
        if case .message(let typeName) = field.kind {
            switch WellKnownJSON(fullName: typeName) {
            case .wrapper, .timestamp, .duration, .fieldMask: break
            default:
                throw .invalidArgument("Query parameter '\(name)' is a message; set its fields as '\(name).<field>'.")
            }
        }
    }

    /// Turns a path or query string into the JSON value the field's type reads, and checks it.
    private func typed(
        _ text: String,
        field: FieldSchema,
        name: String,
        source: String,
        checker: JSONShapeChecker
    ) throws(BridgeError) -> JSONValue {
        var kind = field.kind
        if case .message(let typeName) = kind, case .wrapper(let wrapped) = WellKnownJSON(fullName: typeName) {
            kind = wrapped
        }
        let value: JSONValue
        switch kind {
        case .bool where text == "true" || text == "false":
            value = .bool(text == "true")
        case .int32, .uint32, .float, .double:
            if case .number = try? JSONParser.parse(Array(text.utf8)) {
                value = .number(text)
            } else {
                value = .string(text)
            }
        default:
            value = .string(text)
        }
        do {
            try checker.check(value, field: field, path: name)
        } catch {
            throw .invalidArgument("\(source) '\(name)' \(error.problem).")
        }
        return value
    }

    private static func isJSON(_ contentType: String) -> Bool {
        guard
            let mediaType = contentType.split(separator: ";", maxSplits: 1).first?.filter({ !$0.isWhitespace })
                .lowercased()
        else { return false }
        return mediaType == "application/json" || mediaType.hasSuffix("+json")
    }
}
