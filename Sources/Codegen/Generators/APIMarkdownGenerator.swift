internal import SwiftProtobufPluginLibrary

/// Generates the human-readable API reference (`docs/api.md`): every REST route with its
/// summary, auth header, parameters, body fields and a `curl` example, then the hand-written
/// routes and the enums.
package struct APIMarkdownGenerator {
    /// The server address the `curl` examples use.
    package static let baseURL = "http://127.0.0.1:3000"

    private let services: [ServiceModel]
    private let routes: [RouteModel]
    private let types: TypeCatalog
    private let rawRoutes: RawRouteSet
    private let examples: ExampleValueGenerator

    /// Creates the generator.
    ///
    /// - Parameters:
    ///   - api: The services, routes and types to describe.
    ///   - rawRoutes: The hand-written routes to list.
    package init(api: APIModel, rawRoutes: RawRouteSet) {
        self.services = api.services
        self.routes = api.routes
        self.types = api.types
        self.rawRoutes = rawRoutes
        self.examples = ExampleValueGenerator(types: api.types)
    }

    /// The Markdown document.
    package func generate() -> String {
        var printer = CodePrinter(addNewlines: true)
        printer.print(
            "# \(OpenAPIDocumentGenerator.title) reference",
            "",
            "<!-- DO NOT EDIT: protoc-gen-metachat writes this file; regenerate with scripts/regenerate.sh. -->",
            "",
            "Every route below is the REST face of an RPC, from its `google.api.http` annotation. The same",
            "routes are served as an OpenAPI 3.1 document at `GET /api/openapi.json` (also `docs/openapi.json`),",
            "which has the full schema of every message.",
            "",
            "- JSON is the protobuf JSON mapping: lowerCamelCase names (input also accepts the proto names),",
            "  64-bit integers as strings, enums by value name, timestamps in RFC 3339, durations like `\"1.5s\"`.",
            "  Responses carry every scalar, enum, list and map field even at its default value.",
            "- Path parameters fill the request fields they name. On routes whose body is not the whole request,",
            "  every other request field that holds a single value is a query parameter (lowerCamelCase or",
            "  proto name; lists repeat the parameter; nested fields are dotted, e.g. `filter.status`).",
            "- Every failure answers `{\"error\": {\"code\": 404, \"status\": \"NOT_FOUND\", \"message\": \"...\", \"details\": []}}`",
            "  with the HTTP status mapped from the RPC status.",
            "- Server streams answer Server-Sent Events, one JSON message per `data:` line (the OpenAPI",
            "  document also lists newline-delimited JSON, `application/x-ndjson`).",
            "",
            "The examples use `\(Self.baseURL)`, keys in `$ADMIN_KEY` (`x-admin-key`) or `$API_KEY` (a tenant key",
            "in `x-api-key` or `Authorization: Bearer`), and path parameters in shell variables such as `${TENANT_ID}`.",
            ""
        )
        self.printIndex(into: &printer)
        for service in self.services {
            let serviceRoutes = self.routes.filter { $0.serviceFullName == service.fullName }
            guard !serviceRoutes.isEmpty else { continue }
            printer.print("## \(service.name)", "")
            if !service.documentation.isEmpty {
                printer.print(DocumentationText.block(service.documentation), "")
            }
            for route in serviceRoutes {
                self.printRoute(route, into: &printer)
            }
        }
        self.printRawRoutes(into: &printer)
        self.printEnums(into: &printer)
        var content = printer.content
        while content.hasSuffix("\n\n") { content.removeLast() }
        return content
    }

    private func printIndex(into printer: inout CodePrinter) {
        printer.print("## Routes", "", "| method | path | RPC | summary |", "| --- | --- | --- | --- |")
        for route in self.routes {
            printer.print(
                "| \(route.binding.httpMethod) | `\(route.binding.pathTemplate)` | "
                    + "`\(route.serviceName).\(route.method.protoName)` | "
                    + "\(Self.cell(DocumentationText.summary(route.method.documentation))) |"
            )
        }
        for raw in self.rawRoutes.routes where !self.hasRoute(method: raw.httpMethod, path: raw.path) {
            printer.print("| \(raw.httpMethod) | `\(raw.path)` | *hand-written* | \(Self.cell(raw.summary)) |")
        }
        printer.print()
    }

    private func printRoute(_ route: RouteModel, into printer: inout CodePrinter) {
        let method = route.method
        printer.print("### `\(route.binding.httpMethod) \(route.binding.pathTemplate)`", "")
        if !method.documentation.isEmpty {
            printer.print(DocumentationText.block(method.documentation), "")
        }
        let kind = route.isStreaming ? "server stream: Server-Sent Events or NDJSON" : "unary"
        printer.print(
            "- RPC: `\(route.serviceFullName).\(method.protoName)` (\(kind))",
            "- Auth: \(Self.authText(route.auth))",
            "- Response: \(self.responseText(route.response))",
            ""
        )
        if !route.pathParameters.isEmpty {
            printer.print("Path parameters:", "")
            self.printFieldTable(route.pathParameters.map { ($0.name, $0.field) }, header: "parameter", into: &printer)
        }
        if !route.queryParameters.isEmpty {
            printer.print("Query parameters:", "")
            self.printFieldTable(route.queryParameters.map { ($0.name, $0.field) }, header: "parameter", into: &printer)
        }
        switch route.body {
        case .none:
            break
        case .request(let message, let fields):
            let scope = route.pathParameters.isEmpty ? "" : " except those in the path"
            printer.print("Request body: the fields of `\(message)`\(scope).", "")
            if !fields.isEmpty {
                self.printFieldTable(fields.map { ($0.jsonName, $0) }, header: "field", into: &printer)
            }
        case .field(let field):
            printer.print("Request body: the `\(field.jsonName)` field, \(self.typeText(field)).", "")
            if field.cardinality == .singular, case .message(let name) = field.valueType,
                let message = self.types.messages[name], !message.fields.isEmpty
            {
                self.printFieldTable(message.fields.map { ($0.jsonName, $0) }, header: "field", into: &printer)
            }
        }
        printer.print("```sh", self.curl(route), "```", "")
    }

    private func printFieldTable(
        _ rows: [(name: String, field: FieldModel)],
        header: String,
        into printer: inout CodePrinter
    ) {
        printer.print("| \(header) | type | description |", "| --- | --- | --- |")
        for row in rows {
            printer.print(
                "| `\(row.name)` | \(Self.cell(self.typeText(row.field))) | "
                    + "\(Self.cell(DocumentationText.inline(row.field.documentation))) |"
            )
        }
        printer.print()
    }

    private func printRawRoutes(into printer: inout CodePrinter) {
        guard !self.rawRoutes.routes.isEmpty else { return }
        printer.print(
            "## Hand-written routes",
            "",
            "The server answers these with its own handlers instead of the REST bridge.",
            ""
        )
        for raw in self.rawRoutes.routes {
            printer.print("### `\(raw.httpMethod) \(raw.path)`", "", raw.summary, "")
            if let route = self.routes.first(where: {
                $0.binding.httpMethod == raw.httpMethod && $0.openAPIPath == raw.path
            }) {
                printer.print("- Contract: `\(route.serviceFullName).\(route.method.protoName)` (see above)")
            }
            switch raw.answer {
            case .message(let message): printer.print("- Response: `\(message)`")
            case .text(let contentType): printer.print("- Response: `\(contentType)` text")
            case .jsonObject: printer.print("- Response: a JSON object")
            }
            if let when = raw.unavailableWhen {
                printer.print("- Answers 503 \(when), with the normal body rather than the error shape")
            }
            if let variable = raw.bearerTokenVariable {
                printer.print("- Auth: `Authorization: Bearer <\(variable)>`")
                printer.print(
                    "", "```sh", "curl -sS -H \"Authorization: Bearer $\(variable)\" \(Self.baseURL)\(raw.path)", "```",
                    "")
            } else {
                printer.print("", "```sh", "curl -sS \(Self.baseURL)\(raw.path)", "```", "")
            }
        }
    }

    private func printEnums(into printer: inout CodePrinter) {
        guard !self.types.enums.isEmpty else { return }
        printer.print("## Enums", "")
        for enumeration in self.types.enums.values.sorted(by: { $0.fullName < $1.fullName }) {
            printer.print("### `\(enumeration.fullName)`", "")
            if !enumeration.documentation.isEmpty {
                printer.print(DocumentationText.block(enumeration.documentation), "")
            }
            printer.print("| value | meaning |", "| --- | --- |")
            for value in enumeration.values {
                printer.print("| `\(value.name)` | \(Self.cell(DocumentationText.inline(value.documentation))) |")
            }
            printer.print()
        }
    }

    private func hasRoute(method: String, path: String) -> Bool {
        self.routes.contains { $0.binding.httpMethod == method && $0.openAPIPath == path }
    }

    /// The `curl` command for a route, one option per line.
    private func curl(_ route: RouteModel) -> String {
        var url = ""
        var inVariable = false
        for character in route.openAPIPath {
            switch character {
            case "{":
                inVariable = true
                url += "${"
            case "}":
                inVariable = false
                url += "}"
            default:
                url += inVariable ? (character == "." ? "_" : character.uppercased()) : String(character)
            }
        }
        var command = "curl -sS"
        switch route.binding.httpMethod {
        case "GET": break
        case "HEAD": command += " -I"
        default: command += " -X \(route.binding.httpMethod)"
        }
        if route.isStreaming { command += " -N" }
        var lines = [command + " \"\(Self.baseURL)\(url)\""]
        if route.auth.contains(.adminKey) {
            lines.append("-H \"x-admin-key: $ADMIN_KEY\"")
        } else if route.auth.contains(.apiKey) {
            lines.append("-H \"x-api-key: $API_KEY\"")
        } else if route.auth.contains(.bearer) {
            lines.append("-H \"authorization: Bearer $API_KEY\"")
        }
        if route.isStreaming {
            lines.append("-H 'accept: text/event-stream'")
        }
        let body: JSONValue? =
            switch route.body {
            case .none: nil
            case .request(_, let fields): self.examples.object(fields: fields)
            case .field(let field): self.examples.value(of: field)
            }
        if let body {
            lines.append("-H 'content-type: application/json'")
            lines.append("-d '\(body.prettyText.replacing("'", with: "'\\''"))'")
        }
        return lines.joined(separator: " \\\n  ")
    }

    private func responseText(_ response: RouteModel.Response) -> String {
        switch response {
        case .message(let message): "`\(message)`"
        case .field(let field, let message): "the `\(field.jsonName)` field of `\(message)`, \(self.typeText(field))"
        }
    }

    /// A field's JSON type in words, e.g. `string (int64)` or `list of enum metachat.v1.ChannelType`.
    private func typeText(_ field: FieldModel) -> String {
        let value = Self.valueTypeText(field.valueType)
        switch field.cardinality {
        case .singular: return value
        case .repeated: return "list of \(value)"
        case .map(let key): return "map of \(Self.valueTypeText(.scalar(key))) to \(value)"
        }
    }

    private static func valueTypeText(_ type: FieldModel.ValueType) -> String {
        switch type {
        case .scalar(let scalar):
            return Self.scalarText(scalar)
        case .enumeration(let name):
            return "enum [`\(name)`](#\(Self.anchor(name)))"
        case .message(let name):
            return "`\(name)`"
        case .wellKnown(let wellKnown):
            switch wellKnown {
            case .timestamp: return "string (RFC 3339 timestamp)"
            case .duration: return "string (duration, e.g. `1.5s`)"
            case .fieldMask: return "string (field mask: comma-separated paths)"
            case .struct, .empty, .any: return "object"
            case .value: return "any JSON value"
            case .listValue: return "array"
            case .nullValue: return "null"
            case .wrapper(let scalar): return "\(Self.scalarText(scalar)) or null"
            }
        }
    }

    private static func scalarText(_ scalar: ScalarType) -> String {
        switch scalar {
        case .double, .float: "number"
        case .bool: "boolean"
        case .string: "string"
        case .bytes: "string (base64)"
        case .int32, .sint32, .sfixed32: "integer (int32)"
        case .uint32, .fixed32: "integer (uint32)"
        case .int64, .sint64, .sfixed64: "string (int64)"
        case .uint64, .fixed64: "string (uint64)"
        }
    }

    private static func authText(_ schemes: [AuthScheme]) -> String {
        var parts: [String] = []
        if schemes.contains(.adminKey) { parts.append("admin key in `x-admin-key`") }
        let tenantHeaders = [
            schemes.contains(.apiKey) ? "`x-api-key`" : nil,
            schemes.contains(.bearer) ? "`Authorization: Bearer`" : nil,
        ].compactMap(\.self)
        if !tenantHeaders.isEmpty {
            parts.append("tenant key in " + tenantHeaders.joined(separator: " or "))
        }
        return parts.isEmpty ? "none" : parts.joined(separator: "; ")
    }

    /// The anchor GitHub gives a heading holding only `` `name` ``: lower case, punctuation
    /// other than `-` and `_` dropped.
    private static func anchor(_ name: String) -> String {
        String(name.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    }

    /// Text safe inside a table cell.
    private static func cell(_ text: String) -> String {
        text.replacing("|", with: "\\|")
    }
}
