/// Builds the OpenAPI 3.1 document of a set of REST routes: one operation per route, the
/// schemas of every message and enum they use, the shared error shape and the auth schemes.
package struct OpenAPIDocumentGenerator {
    /// The document's `info.title`.
    package static let title = "MetaChat API"
    /// The tag of the hand-written routes.
    package static let rawRouteTag = "Server"

    private let services: [ServiceModel]
    private let routes: [RouteModel]
    private let types: TypeCatalog
    private let rawRoutes: RawRouteSet
    private let version: String
    private let schemas: OpenAPISchemaGenerator

    /// Creates the generator.
    ///
    /// - Parameters:
    ///   - api: The services, routes and types to describe.
    ///   - rawRoutes: The hand-written routes to add.
    ///   - version: The document's `info.version`.
    package init(api: APIModel, rawRoutes: RawRouteSet, version: String) {
        self.services = api.services
        self.routes = api.routes
        self.types = api.types
        self.rawRoutes = rawRoutes
        self.version = version
        self.schemas = OpenAPISchemaGenerator(types: api.types)
    }

    /// The document.
    ///
    /// - Returns: The document as ordered JSON.
    /// - Throws: ``CodegenError`` when a route's HTTP method has no OpenAPI operation, two
    ///   routes share a method and path, or a hand-written route names a message none of the
    ///   routes uses.
    package func document() throws -> JSONValue {
        var paths = OpenAPIPathItems()
        for route in self.routes {
            try paths.add(
                method: route.binding.httpMethod,
                path: route.openAPIPath,
                operation: self.operation(route),
                context: "\(route.serviceFullName).\(route.method.protoName)"
            )
        }
        var usesRawTag = false
        for raw in self.rawRoutes.routes {
            let answer = try self.answerContent(raw)
            if paths.contains(method: raw.httpMethod, path: raw.path) {
                if let when = raw.unavailableWhen {
                    paths.addResponse(
                        "503",
                        self.unavailableResponse(when: when, content: answer),
                        method: raw.httpMethod,
                        path: raw.path
                    )
                }
                continue
            }
            usesRawTag = true
            try paths.add(
                method: raw.httpMethod,
                path: raw.path,
                operation: self.operation(raw, content: answer),
                context: "raw route \(raw.path)"
            )
        }
        var tags: [JSONValue] = self.services.filter { service in
            self.routes.contains { $0.serviceFullName == service.fullName }
        }.map { service in
            service.documentation.isEmpty
                ? ["name": .string(service.name)]
                : [
                    "name": .string(service.name),
                    "description": .string(DocumentationText.block(service.documentation)),
                ]
        }
        if usesRawTag {
            tags.append([
                "name": .string(Self.rawRouteTag),
                "description": "Routes the server answers with hand-written handlers: probes, metrics, this document.",
            ])
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": .string(Self.title),
                "version": .string(self.version),
                "description": .string(Self.description),
            ],
            "servers": [["url": "/"]],
            "security": .array([[:]] + AuthScheme.allCases.map { .object([JSONValue.Member($0.rawValue, [])]) }),
            "tags": .array(tags),
            "paths": paths.json,
            "components": [
                "schemas": self.componentSchemas(),
                "responses": [
                    "Error": [
                        "description": "The request failed; the HTTP status is mapped from the RPC status.",
                        "content": ["application/json": ["schema": Self.errorReference]],
                    ]
                ],
                "securitySchemes": .object(
                    AuthScheme.allCases.map { JSONValue.Member($0.rawValue, Self.securityScheme($0)) }),
            ],
        ]
    }

    private static let description = """
        The REST face of the MetaChat gRPC services, derived from their `google.api.http` \
        annotations.

        JSON follows the protobuf JSON mapping: lowerCamelCase property names (input also \
        accepts the proto names), 64-bit integers as decimal strings, enums as value names, \
        timestamps in RFC 3339, durations like `"1.5s"`. Responses carry every scalar, enum, \
        list and map field even at its default value and omit unset message fields. Every \
        failure answers the `Error` shape with the HTTP status mapped from the RPC status.

        Authenticate with `x-admin-key` (operator routes) or with a tenant key in `x-api-key` \
        or `Authorization: Bearer` (tenant routes); each service's description says which.
        """

    private static let errorReference: JSONValue = OpenAPISchemaGenerator.reference(
        OpenAPISchemaGenerator.errorSchemaName
    )

    private static let errorResponse: JSONValue = ["$ref": "#/components/responses/Error"]

    private static func securityScheme(_ scheme: AuthScheme) -> JSONValue {
        switch scheme {
        case .adminKey:
            ["type": "apiKey", "in": "header", "name": .string(scheme.header), "description": "An admin key."]
        case .apiKey:
            ["type": "apiKey", "in": "header", "name": .string(scheme.header), "description": "A tenant key."]
        case .bearer:
            ["type": "http", "scheme": "bearer", "description": "A tenant key as the bearer token."]
        }
    }

    private func componentSchemas() -> JSONValue {
        var components: [JSONValue.Member] = self.types.messages.values.map {
            JSONValue.Member(OpenAPISchemaGenerator.componentName($0.fullName), self.schemas.messageSchema($0))
        }
        components += self.types.enums.values.map {
            JSONValue.Member(OpenAPISchemaGenerator.componentName($0.fullName), self.schemas.enumSchema($0))
        }
        components.sort { $0.key < $1.key }
        return .object(
            [JSONValue.Member(OpenAPISchemaGenerator.errorSchemaName, OpenAPISchemaGenerator.errorSchema)] + components)
    }

    private func operation(_ route: RouteModel) -> JSONValue {
        let method = route.method
        let summary = DocumentationText.summary(method.documentation)
        var description = method.documentation
        if !description.isEmpty { description.append("") }
        description.append("RPC: `\(route.serviceFullName).\(method.protoName)`.")
        var operation: JSONValue = [
            "tags": [.string(route.serviceName)],
            "summary": .string(summary.isEmpty ? "Calls `\(route.serviceFullName).\(method.protoName)`." : summary),
            "description": .string(DocumentationText.block(description)),
            "operationId": .string(route.operationID),
        ]
        let parameters =
            route.pathParameters.map { self.parameter($0, in: "path") }
            + route.queryParameters.map { self.parameter($0, in: "query") }
        if !parameters.isEmpty {
            operation = operation.setting("parameters", .array(parameters))
        }
        if let body = self.requestBody(route.body) {
            operation = operation.setting("requestBody", body)
        }
        return operation.setting(
            "responses",
            [
                "200": self.successResponse(route),
                "default": Self.errorResponse,
            ]
        )
    }

    private func parameter(_ parameter: RouteModel.Parameter, in location: String) -> JSONValue {
        var json: JSONValue = ["name": .string(parameter.name), "in": .string(location)]
        if location == "path" {
            json = json.setting("required", true)
        }
        if !parameter.field.documentation.isEmpty {
            json = json.setting("description", .string(DocumentationText.block(parameter.field.documentation)))
        }
        json = json.setting("schema", self.schemas.parameterSchema(parameter.field))
        if location == "query" && parameter.field.cardinality == .repeated {
            json = json.setting("style", "form").setting("explode", true)
        }
        return json
    }

    private func requestBody(_ body: RouteModel.Body) -> JSONValue? {
        let schema: JSONValue
        switch body {
        case .none:
            return nil
        case .request(let message, let fields):
            let model = self.types.messages[message]
            if let model, model.fields == fields {
                schema = OpenAPISchemaGenerator.messageReference(message)
            } else {
                schema = self.schemas.objectSchema(documentation: model?.documentation ?? [], fields: fields)
            }
        case .field(let field):
            schema = self.schemas.propertySchema(field)
        }
        return ["content": ["application/json": ["schema": schema]]]
    }

    private func successResponse(_ route: RouteModel) -> JSONValue {
        let (schema, name): (JSONValue, String)
        switch route.response {
        case .message(let message):
            (schema, name) = (OpenAPISchemaGenerator.messageReference(message), "`\(message)`")
        case .field(let field, let message):
            (schema, name) = (self.schemas.fieldSchema(field), "the `\(field.jsonName)` field of `\(message)`")
        }
        if route.binding.httpMethod == "HEAD" {
            return ["description": .string("Success; a HEAD answer has no body.")]
        }
        guard route.isStreaming else {
            return ["description": .string("Success: \(name)."), "content": ["application/json": ["schema": schema]]]
        }
        return [
            "description": .string("A stream of \(name), one JSON object per message."),
            "content": [
                "text/event-stream": [
                    "schema": [
                        "type": "string",
                        "description": .string(
                            "Server-Sent Events: each event's `data:` line is one \(name) as a JSON object. "
                                + "A failure after the stream started ends with `event: error` whose data is the `Error` shape."
                        ),
                    ]
                ],
                "application/x-ndjson": [
                    "schema": [
                        "type": "string",
                        "description": .string("Newline-delimited JSON: one \(name) as a JSON object per line."),
                    ]
                ],
            ],
        ]
    }

    private func answerContent(_ raw: RawRoute) throws -> JSONValue {
        switch raw.answer {
        case .message(let message):
            guard self.types.messages[message] != nil else {
                throw CodegenError(
                    code: .invalidOption,
                    message: "Raw route \(raw.path) answers \(message), which no generated route uses."
                )
            }
            return ["application/json": ["schema": OpenAPISchemaGenerator.messageReference(message)]]
        case .text(let contentType):
            // Media type keys without parameters match what clients compare against.
            let mediaType = contentType.split(separator: ";").first.map(String.init) ?? contentType
            return .object([JSONValue.Member(mediaType, ["schema": ["type": "string"]])])
        case .jsonObject:
            return ["application/json": ["schema": ["type": "object"]]]
        }
    }

    private func unavailableResponse(when: String, content: JSONValue) -> JSONValue {
        [
            "description": .string("Unavailable \(when); the body is the normal answer, not the error shape."),
            "content": content,
        ]
    }

    private func operation(_ raw: RawRoute, content: JSONValue) -> JSONValue {
        var responses: JSONValue = ["200": ["description": .string(raw.summary), "content": content]]
        if let when = raw.unavailableWhen {
            responses = responses.setting("503", self.unavailableResponse(when: when, content: content))
        }
        return [
            "tags": [.string(Self.rawRouteTag)],
            "summary": .string(raw.summary),
            "operationId": .string(raw.operationID),
            "responses": responses.setting("default", Self.errorResponse),
        ]
    }
}
