import Codegen
import SwiftProtobufPluginLibrary
import Testing

/// Loads the fixtures' descriptor sets and builds what the API document tests inspect.
enum APIFixture {
    /// The proto file of a fixture, e.g. `echo` → `echo.proto` from `echo.pb`.
    static func file(_ name: String) throws -> FileDescriptor {
        let set = try GoldenFileTests.descriptorSet(named: "\(name).pb")
        return try #require(set.fileDescriptor(named: "\(name).proto"))
    }

    /// The API model of a fixture.
    static func api(_ name: String) throws -> APIModel {
        try MetaChatGenerator().api(files: [Self.file(name)])
    }

    /// The OpenAPI document of a fixture.
    static func document(_ name: String, rawRoutes: RawRouteSet = .none) throws -> JSONValue {
        try OpenAPIDocumentGenerator(api: Self.api(name), rawRoutes: rawRoutes, version: "1.0.0").document()
    }
}

extension JSONValue {
    /// The elements of an array; empty for anything else.
    var elements: [JSONValue] {
        if case .array(let elements) = self { return elements }
        return []
    }

    /// The member names of an object in order; empty for anything else.
    var keys: [String] {
        if case .object(let members) = self { return members.map(\.key) }
        return []
    }

    /// The operation at a path and HTTP method (lower case) of an OpenAPI document.
    func operation(_ method: String, _ path: String) -> JSONValue? {
        self["paths"]?[path]?[method]
    }

    /// The parameter of an operation with a name.
    func parameter(_ name: String) -> JSONValue? {
        self["parameters"]?.elements.first { $0["name"] == .string(name) }
    }

    /// The names of an operation's parameters in one location (`path` or `query`).
    func parameterNames(in location: String) -> [String] {
        (self["parameters"]?.elements ?? []).compactMap { parameter in
            guard parameter["in"] == .string(location), case .string(let name) = parameter["name"] else { return nil }
            return name
        }
    }

    /// Every `$ref` string anywhere in the value.
    var references: [String] {
        switch self {
        case .object(let members):
            members.flatMap { member -> [String] in
                if member.key == "$ref", case .string(let target) = member.value { return [target] }
                return member.value.references
            }
        case .array(let elements):
            elements.flatMap(\.references)
        default:
            []
        }
    }
}
