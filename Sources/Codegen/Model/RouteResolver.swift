/// Resolves every HTTP binding of a set of services against the message types into
/// ``RouteModel``s: which request fields the path, the query string and the body carry.
///
/// The rules are those the REST bridge applies:
/// - Path variables (`{a.b}`, `{a.b=*}`) fill the field at the dotted path.
/// - `body: "*"` carries every request field the path does not bind; there are no query
///   parameters. `body: "field"` carries that field; no body carries nothing.
/// - Otherwise every remaining field whose value fits in a query parameter is one: scalars,
///   enums, wrappers, timestamps, durations, field masks and lists of scalars or enums,
///   plus the same kinds inside nested messages as dotted names (`filter.status`), at most
///   ``maximumQueryDepth`` levels deep and never through a message already on the path.
package struct RouteResolver {
    /// How many names a dotted query parameter may have, e.g. 3 for `a.b.c`.
    package static let maximumQueryDepth = 3

    private let types: TypeCatalog

    /// Creates a resolver.
    ///
    /// - Parameter types: The messages and enums the routes use.
    package init(types: TypeCatalog) {
        self.types = types
    }

    /// The routes of the services, in declaration order (each method's primary binding first).
    ///
    /// - Parameter services: The services.
    /// - Returns: One route per HTTP binding.
    /// - Throws: ``CodegenError`` when a binding names a field the catalog does not have.
    package func routes(in services: [ServiceModel]) throws -> [RouteModel] {
        var routes: [RouteModel] = []
        for service in services {
            let auth = AuthScheme.mentioned(in: service.documentation)
            for method in service.methods {
                for (index, binding) in method.httpBindings.enumerated() {
                    routes.append(
                        try self.route(
                            binding,
                            index: index,
                            method: method,
                            service: service,
                            auth: auth
                        )
                    )
                }
            }
        }
        return routes
    }

    private func route(
        _ binding: HTTPBindingModel,
        index: Int,
        method: MethodModel,
        service: ServiceModel,
        auth: [AuthScheme]
    ) throws -> RouteModel {
        let context = "\(service.fullName).\(method.protoName)"
        let request = method.inputMessage
        // A well-known request type (e.g. google.protobuf.Empty) has no fields to bind.
        let requestModel: MessageModel
        if let model = self.types.messages[request] {
            requestModel = model
        } else if WellKnownType(protoName: request) != nil {
            requestModel = MessageModel(fullName: request, fields: [])
        } else {
            throw CodegenError(code: .unknownField, message: "\(context): no description of \(request).")
        }
        let pathParameters = try binding.pathVariables.map { variable in
            RouteModel.Parameter(name: variable, field: try self.field(variable, in: request, context: context))
        }
        let body: RouteModel.Body
        var queryParameters: [RouteModel.Parameter] = []
        switch binding.body {
        case "":
            body = .none
        case "*":
            body = .request(
                message: request,
                fields: requestModel.fields.filter { !binding.pathVariables.contains($0.protoName) }
            )
        default:
            body = .field(try self.field(binding.body, in: request, context: context))
        }
        if binding.body != "*" {
            let bound = Set(binding.pathVariables + (binding.body.isEmpty ? [] : [binding.body]))
            self.collectQueryParameters(
                of: requestModel,
                protoPath: [],
                jsonPath: [],
                bound: bound,
                visiting: [request],
                into: &queryParameters
            )
        }
        let response: RouteModel.Response =
            binding.responseBody.isEmpty
            ? .message(method.outputMessage)
            : .field(
                try self.field(binding.responseBody, in: method.outputMessage, context: context),
                of: method.outputMessage
            )
        return RouteModel(
            serviceName: service.name,
            serviceFullName: service.fullName,
            method: method,
            binding: binding,
            operationID: "\(service.name)_\(method.protoName)" + (index == 0 ? "" : "_\(index + 1)"),
            openAPIPath: Self.openAPIPath(binding.pathTemplate),
            pathParameters: pathParameters,
            queryParameters: queryParameters,
            body: body,
            response: response,
            auth: auth
        )
    }

    private func field(_ path: String, in message: String, context: String) throws -> FieldModel {
        guard let field = self.types.field(at: path, in: message) else {
            throw CodegenError(code: .unknownField, message: "\(context): '\(path)' names no field of \(message).")
        }
        return field
    }

    private func collectQueryParameters(
        of message: MessageModel,
        protoPath: [String],
        jsonPath: [String],
        bound: Set<String>,
        visiting: Set<String>,
        into parameters: inout [RouteModel.Parameter]
    ) {
        for field in message.fields {
            let fieldProtoPath = protoPath + [field.protoName]
            guard !bound.contains(fieldProtoPath.joined(separator: ".")) else { continue }
            let name = (jsonPath + [field.jsonName]).joined(separator: ".")
            switch (field.cardinality, field.valueType) {
            case (.map, _):
                continue
            case (_, .scalar), (_, .enumeration):
                parameters.append(RouteModel.Parameter(name: name, field: field))
            case (.singular, .wellKnown(let type)) where type.isQueryable:
                parameters.append(RouteModel.Parameter(name: name, field: field))
            case (.singular, .message(let nested)):
                guard fieldProtoPath.count < Self.maximumQueryDepth, !visiting.contains(nested),
                    let nestedModel = self.types.messages[nested]
                else { continue }
                self.collectQueryParameters(
                    of: nestedModel,
                    protoPath: fieldProtoPath,
                    jsonPath: jsonPath + [field.jsonName],
                    bound: bound,
                    visiting: visiting.union([nested]),
                    into: &parameters
                )
            default:
                continue
            }
        }
    }

    /// The path in OpenAPI form: `/v1/rooms/{target.room_id}/users/{target.user_id=*}` →
    /// `/v1/rooms/{target.room_id}/users/{target.user_id}`.
    ///
    /// - Parameter template: A `google.api.http` path template.
    /// - Returns: The template with every variable's `=pattern` removed.
    package static func openAPIPath(_ template: String) -> String {
        var result = ""
        var inVariable = false
        var skipping = false
        for character in template {
            switch character {
            case "{":
                inVariable = true
                result.append(character)
            case "}":
                inVariable = false
                skipping = false
                result.append(character)
            case "=" where inVariable:
                skipping = true
            default:
                if !skipping { result.append(character) }
            }
        }
        return result
    }
}
