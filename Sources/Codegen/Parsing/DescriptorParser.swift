internal import SwiftProtobuf
package import SwiftProtobufPluginLibrary

/// Turns protoc's descriptors into the generator's neutral model.
///
/// This is the only part of the generator that reads protoc types; everything after it works
/// on ``ServiceModel`` and ``MethodModel``.
package struct DescriptorParser {
    private let namer: SwiftProtobufNamer

    /// Creates a parser.
    ///
    /// - Parameter namer: Resolves Swift names of messages (shared with `protoc-gen-swift`'s
    ///   rules so the names match the generated message types).
    package init(namer: SwiftProtobufNamer) {
        self.namer = namer
    }

    /// Parses the services of one file.
    ///
    /// - Parameter file: The file's descriptor.
    /// - Returns: One model per service, in declaration order.
    /// - Throws: ``CodegenError`` when an HTTP annotation is malformed or names a missing field.
    package func services(in file: FileDescriptor) throws -> [ServiceModel] {
        let prefix = self.namer.typePrefix(forFile: file)
        return try file.services.map { service in
            ServiceModel(
                fullName: service.fullName,
                namespace: prefix + Namer.upperCamel(service.name),
                documentation: Self.documentation(service.sourceCodeInfoLocation),
                methods: try service.methods.map { try self.method($0) }
            )
        }
    }

    private func method(_ method: MethodDescriptor) throws -> MethodModel {
        let kind: MethodModel.Kind =
            switch (method.clientStreaming, method.serverStreaming) {
            case (false, false): .unary
            case (false, true): .serverStreaming
            case (true, false): .clientStreaming
            case (true, true): .bidirectionalStreaming
            }
        return MethodModel(
            protoName: method.name,
            swiftName: Namer.lowerCamel(method.name),
            inputType: self.namer.fullName(message: method.inputType),
            outputType: self.namer.fullName(message: method.outputType),
            inputMessage: method.inputType.fullName,
            outputMessage: method.outputType.fullName,
            kind: kind,
            documentation: Self.documentation(method.sourceCodeInfoLocation),
            httpBindings: try self.httpBindings(method)
        )
    }

    private func httpBindings(_ method: MethodDescriptor) throws -> [HTTPBindingModel] {
        // Options arrive with the extension as unknown fields unless protoc's request was parsed
        // with the extension map; decoding again with the map works either way.
        let options = try Google_Protobuf_MethodOptions(
            serializedBytes: try method.options.serializedBytes() as [UInt8],
            extensions: Google_Api_Annotations_Extensions
        )
        guard options.hasGoogle_Api_http else { return [] }
        let rule = options.Google_Api_http
        var bindings = [try self.binding(rule, method: method)]
        for additional in rule.additionalBindings {
            guard additional.additionalBindings.isEmpty else {
                throw CodegenError(
                    code: .invalidHTTPRule,
                    message: "\(method.fullName): additional_bindings must not nest further bindings."
                )
            }
            bindings.append(try self.binding(additional, method: method))
        }
        return bindings
    }

    private func binding(_ rule: Google_Api_HttpRule, method: MethodDescriptor) throws -> HTTPBindingModel {
        let (httpMethod, template): (String, String)
        switch rule.pattern {
        case .get(let path): (httpMethod, template) = ("GET", path)
        case .put(let path): (httpMethod, template) = ("PUT", path)
        case .post(let path): (httpMethod, template) = ("POST", path)
        case .delete(let path): (httpMethod, template) = ("DELETE", path)
        case .patch(let path): (httpMethod, template) = ("PATCH", path)
        case .custom(let custom): (httpMethod, template) = (custom.kind.uppercased(), custom.path)
        case .none:
            throw CodegenError(
                code: .invalidHTTPRule,
                message: "\(method.fullName): a google.api.http rule needs get, put, post, delete, patch or custom."
            )
        }
        let variables = try PathTemplateScanner.variables(in: template, method: method.fullName)
        for variable in variables {
            try Self.requireField(path: variable, in: method.inputType, method: method.fullName, role: "path variable")
        }
        if !rule.body.isEmpty && rule.body != "*" {
            try Self.requireField(path: rule.body, in: method.inputType, method: method.fullName, role: "body")
        }
        if !rule.responseBody.isEmpty {
            try Self.requireField(
                path: rule.responseBody,
                in: method.outputType,
                method: method.fullName,
                role: "response_body"
            )
        }
        return HTTPBindingModel(
            httpMethod: httpMethod,
            pathTemplate: template,
            body: rule.body,
            responseBody: rule.responseBody,
            pathVariables: variables
        )
    }

    /// Checks that a dotted field path exists in a message.
    private static func requireField(path: String, in message: Descriptor, method: String, role: String) throws {
        var current: Descriptor? = message
        for component in path.split(separator: ".") {
            guard let descriptor = current,
                let field = descriptor.fields.first(where: { $0.name == component })
            else {
                throw CodegenError(
                    code: .unknownField,
                    message: "\(method): \(role) '\(path)' names no field of \(message.fullName)."
                )
            }
            current = field.messageType
        }
    }

    /// The leading comment of a declaration, as lines without comment markers.
    static func documentation(_ location: Google_Protobuf_SourceCodeInfo.Location?) -> [String] {
        guard let comments = location?.leadingComments, !comments.isEmpty else { return [] }
        var lines = comments.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix(" ") ? String(line.dropFirst()) : String(line)
        }
        while let last = lines.last, last.allSatisfy(\.isWhitespace) {
            lines.removeLast()
        }
        return lines.map { line in
            var trimmed = line
            while trimmed.last?.isWhitespace == true { trimmed.removeLast() }
            return trimmed
        }
    }
}
