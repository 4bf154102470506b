/// Options of `protoc-gen-metachat`, passed as `--metachat_opt=Key=Value,...`.
package struct CodegenOptions: Sendable, Hashable {
    /// A kind of file the plugin writes.
    package enum Output: String, Sendable, Hashable, CaseIterable {
        /// One `<proto path with underscores>.metachat.swift` per proto file with services:
        /// handler protocols, registration, clients and REST route tables.
        case services = "Services"
        /// `metachat_openapi.swift`: the OpenAPI document embedded in a Swift enum.
        case openAPISwift = "OpenAPISwift"
        /// `openapi.json`: the OpenAPI 3.1 document of every REST route.
        case openAPIJSON = "OpenAPIJSON"
        /// `api.md`: the REST reference with a `curl` example per route.
        case markdown = "Markdown"
    }

    /// The access level of generated declarations.
    package var visibility: String
    /// Extra modules to import (besides `RPCServer` and `RESTBridge`).
    package var extraImports: [String]
    /// The files to write.
    package var outputs: Set<Output>
    /// The OpenAPI document's `info.version`.
    package var apiVersion: String
    /// The hand-written routes the API documents list beside the generated ones.
    package var rawRoutes: RawRouteSet

    /// Public declarations, no extra imports, service files only, API version `1.0.0`, no
    /// hand-written routes.
    package static var defaults: CodegenOptions {
        CodegenOptions(visibility: "public", extraImports: [])
    }

    /// Creates options.
    ///
    /// - Parameters:
    ///   - visibility: `public`, `package` or `internal`.
    ///   - extraImports: Extra modules to import.
    ///   - outputs: The files to write.
    ///   - apiVersion: The OpenAPI document's version.
    ///   - rawRoutes: The hand-written routes to document.
    package init(
        visibility: String,
        extraImports: [String],
        outputs: Set<Output> = [.services],
        apiVersion: String = "1.0.0",
        rawRoutes: RawRouteSet = .none
    ) {
        self.visibility = visibility
        self.extraImports = extraImports
        self.outputs = outputs
        self.apiVersion = apiVersion
        self.rawRoutes = rawRoutes
    }

    /// Parses protoc's comma-separated parameter string.
    ///
    /// Known keys:
    /// - `Visibility`: `Public`, `Package` or `Internal`.
    /// - `Import`: a module name; repeatable.
    /// - `Output`: `Services`, `OpenAPISwift`, `OpenAPIJSON` or `Markdown`; repeatable. Without
    ///   it the plugin writes the service files only; with it, exactly the files named.
    /// - `APIVersion`: the OpenAPI document's `info.version`.
    /// - `RawRoutes`: `MetaChat` to document the server's hand-written routes, or `None`.
    ///
    /// - Parameter parameter: The string protoc passes, e.g. `Visibility=Public`.
    /// - Throws: ``CodegenError`` naming an unknown key or value.
    package init(parameter: String) throws {
        self = .defaults
        var outputs: Set<Output> = []
        for pair in parameter.split(separator: ",") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                throw CodegenError(code: .invalidOption, message: "Option '\(pair)' must be Key=Value.")
            }
            switch parts[0] {
            case "Visibility":
                switch parts[1].lowercased() {
                case "public", "package", "internal":
                    self.visibility = parts[1].lowercased()
                default:
                    throw CodegenError(
                        code: .invalidOption,
                        message: "Visibility must be Public, Package or Internal, not '\(parts[1])'."
                    )
                }
            case "Import":
                self.extraImports.append(parts[1])
            case "Output":
                guard let output = Output(rawValue: parts[1]) else {
                    let known = Output.allCases.map(\.rawValue).joined(separator: ", ")
                    throw CodegenError(
                        code: .invalidOption, message: "Output must be one of \(known), not '\(parts[1])'.")
                }
                outputs.insert(output)
            case "APIVersion":
                self.apiVersion = parts[1]
            case "RawRoutes":
                switch parts[1] {
                case "MetaChat": self.rawRoutes = .metaChat
                case "None": self.rawRoutes = .none
                default:
                    throw CodegenError(
                        code: .invalidOption,
                        message: "RawRoutes must be MetaChat or None, not '\(parts[1])'."
                    )
                }
            default:
                throw CodegenError(code: .invalidOption, message: "Unknown option '\(parts[0])'.")
            }
        }
        if !outputs.isEmpty {
            self.outputs = outputs
        }
    }
}
