import Codegen
import Foundation
import Testing

@Suite("API reference")
struct APIMarkdownGeneratorTests {
    private static func markdown(rawRoutes: RawRouteSet = .none) throws -> String {
        APIMarkdownGenerator(api: try APIFixture.api("echo"), rawRoutes: rawRoutes).generate()
    }

    /// The lines of the section under a `### ` heading, up to the next heading.
    private static func section(_ heading: String, in markdown: String) -> [String] {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: "### \(heading)") else { return [] }
        let rest = lines[(start + 1)...]
        let end = rest.firstIndex { $0.hasPrefix("#") } ?? rest.endIndex
        return Array(rest[..<end])
    }

    @Test("Every route gets a section with its RPC, summary, auth and a curl example")
    func everyRouteHasASection() throws {
        let markdown = try Self.markdown()

        for route in try APIFixture.api("echo").routes {
            let section = Self.section("`\(route.binding.httpMethod) \(route.binding.pathTemplate)`", in: markdown)
            #expect(
                section.contains { $0.hasPrefix("- RPC: `metachat.fixture.v1.EchoService.\(route.method.protoName)`") })
            #expect(section.contains("- Auth: none"))
            #expect(section.contains("```sh"))
        }
    }

    @Test("A field body becomes the curl's JSON example, nested path variables shell variables")
    func curlWithFieldBody() throws {
        let section = Self.section(
            "`PATCH /v1/rooms/{target.room_id}/users/{target.user_id=*}`", in: try Self.markdown())

        let curl = section.drop { $0 != "```sh" }.dropFirst().prefix { $0 != "```" }
        #expect(
            Array(curl) == [
                #"curl -sS -X PATCH "http://127.0.0.1:3000/v1/rooms/${TARGET_ROOM_ID}/users/${TARGET_USER_ID}" \"#,
                #"  -H 'content-type: application/json' \"#,
                "  -d '{",
                #"  "key": "string""#,
                "}'",
            ]
        )
        #expect(section.contains("| `text` | string | The text to echo back. |"))
    }

    @Test("Body \"*\" lists the request's fields except the path's and sends an example of them")
    func wholeBodyFields() throws {
        let section = Self.section("`PUT /v1/echo/{text}`", in: try Self.markdown())

        let body = section.drop { !$0.hasPrefix("Request body:") }
        #expect(body.first == "Request body: the fields of `metachat.fixture.v1.EchoRequest` except those in the path.")
        #expect(body.contains { $0.hasPrefix("| `repeat` | integer (int32) |") })
        #expect(body.contains { $0.hasPrefix("| `labels` | map of string to string |") })
        #expect(!body.contains { $0.hasPrefix("| `text` |") })
        #expect(section.contains { $0.hasPrefix("| `text` | string |") })
        #expect(section.contains(#"  "repeat": 1,"#))
        #expect(
            section.contains(
                "- Response: the `summary` field of `metachat.fixture.v1.EchoResponse`, `metachat.fixture.v1.Summary`"))
    }

    @Test("Streaming routes ask for Server-Sent Events and HEAD routes use curl -I")
    func streamingAndHead() throws {
        let markdown = try Self.markdown()

        #expect(
            Self.section("`GET /v1/echo/{text}/expand`", in: markdown).contains(
                #"curl -sS -N "http://127.0.0.1:3000/v1/echo/${TEXT}/expand" \"#
            )
        )
        #expect(
            Self.section("`HEAD /v1/echo/{text}`", in: markdown).contains(
                #"curl -sS -I "http://127.0.0.1:3000/v1/echo/${TEXT}""#))
    }

    @Test("The auth header comes from the service's documentation: admin key first, else the tenant key")
    func authHeaders() throws {
        var api = try APIFixture.api("echo")
        api.services = api.services.map { service in
            var service = service
            service.documentation = ["Auth: admin key (`x-admin-key`); tenants use `x-api-key`."]
            return service
        }
        api.routes = try RouteResolver(types: api.types).routes(in: api.services)

        let markdown = APIMarkdownGenerator(api: api, rawRoutes: .none).generate()

        let section = Self.section("`DELETE /v1/echo/{text}`", in: markdown)
        #expect(section.contains(#"  -H "x-admin-key: $ADMIN_KEY""#))
        #expect(section.contains("- Auth: admin key in `x-admin-key`; tenant key in `x-api-key`"))
    }

    @Test("Hand-written routes are listed with their answers, 503 behaviour and a curl")
    func handWrittenRoutes() throws {
        let markdown = try Self.markdown(rawRoutes: .metaChat)

        let metrics = Self.section("`GET /metrics`", in: markdown)
        #expect(metrics.contains("- Response: `text/plain; version=0.0.4` text"))
        #expect(metrics.contains(#"curl -sS -H "Authorization: Bearer $METRICS_TOKEN" http://127.0.0.1:3000/metrics"#))
        #expect(metrics.contains("- Auth: `Authorization: Bearer <METRICS_TOKEN>`"))
        let health = Self.section("`GET /health`", in: markdown)
        #expect(health.contains { $0.hasPrefix("- Answers 503 when the status is") })
        #expect(markdown.contains("| GET | `/api/openapi.json` | *hand-written* |"))
    }

    @Test("Rendering the echo reference reproduces the committed golden file byte for byte")
    func echoGolden() throws {
        let generated = try MetaChatGenerator().generate(
            files: [APIFixture.file("echo")],
            options: CodegenOptions(parameter: "Output=Markdown")
        )

        let golden = try String(contentsOf: OpenAPIDocumentGeneratorTests.fixture("echo.api.md"), encoding: .utf8)
        #expect(generated.map(\.name) == ["api.md"])
        #expect(generated.first?.content == golden)
    }
}
