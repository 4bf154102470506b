/// Options of `protoc-gen-metachat`, passed as `--metachat_opt=Key=Value,...`.
package struct CodegenOptions: Sendable, Hashable {
    /// The access level of generated declarations.
    package var visibility: String
    /// Extra modules to import (besides `RPCServer` and `RESTBridge`).
    package var extraImports: [String]

    /// Public declarations, no extra imports.
    package static var defaults: CodegenOptions {
        CodegenOptions(visibility: "public", extraImports: [])
    }

    /// Creates options.
    ///
    /// - Parameters:
    ///   - visibility: `public`, `package` or `internal`.
    ///   - extraImports: Extra modules to import.
    package init(visibility: String, extraImports: [String]) {
        self.visibility = visibility
        self.extraImports = extraImports
    }

    /// Parses protoc's comma-separated parameter string.
    ///
    /// Known keys: `Visibility` (`Public`, `Package`, `Internal`) and `Import` (a module name;
    /// repeatable).
    ///
    /// - Parameter parameter: The string protoc passes, e.g. `Visibility=Public`.
    /// - Throws: ``CodegenError`` naming an unknown key or value.
    package init(parameter: String) throws {
        self = .defaults
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
            default:
                throw CodegenError(code: .invalidOption, message: "Unknown option '\(parts[0])'.")
            }
        }
    }
}
