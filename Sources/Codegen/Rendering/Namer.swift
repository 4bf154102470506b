/// Swift names for services and methods.
///
/// Message and enum names come from `SwiftProtobufNamer` so they match `protoc-gen-swift`;
/// this namer covers what that one does not name.
package enum Namer {
    /// Swift keywords that need backticks when used as a function name.
    private static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "func", "import", "init", "inout",
        "let", "operator", "protocol", "static", "struct", "subscript", "typealias", "var", "break",
        "case", "continue", "default", "defer", "do", "else", "fallthrough", "for", "guard", "if",
        "in", "repeat", "return", "switch", "where", "while", "as", "catch", "false", "is", "nil",
        "rethrows", "super", "self", "throw", "throws", "true", "try", "Type", "Protocol",
    ]

    /// `GetTenant` → `getTenant`; `URLCheck` → `urlCheck`; `get_tenant` → `getTenant`.
    ///
    /// - Parameter name: A proto method name.
    /// - Returns: A Swift identifier, back-ticked if it is a keyword.
    package static func lowerCamel(_ name: String) -> String {
        let upper = Self.upperCamel(name)
        let scalars = Array(upper)
        var leadingUppercase = 0
        while leadingUppercase < scalars.count, scalars[leadingUppercase].isUppercase {
            leadingUppercase += 1
        }
        let lowered: String
        if leadingUppercase <= 1 || leadingUppercase == scalars.count {
            lowered =
                String(scalars.prefix(max(leadingUppercase, 1))).lowercased()
                + String(scalars.dropFirst(max(leadingUppercase, 1)))
        } else {
            // Keep the last capital of an acronym as the start of the next word: URLCheck → urlCheck.
            let acronym = leadingUppercase - 1
            lowered = String(scalars.prefix(acronym)).lowercased() + String(scalars.dropFirst(acronym))
        }
        return Self.keywords.contains(lowered) ? "`\(lowered)`" : lowered
    }

    /// `tenant_service` → `TenantService`; `TenantService` stays.
    ///
    /// - Parameter name: A proto name.
    /// - Returns: The upper-camel form.
    package static func upperCamel(_ name: String) -> String {
        name.split(separator: "_").map { part in
            guard let first = part.first else { return "" }
            return first.uppercased() + part.dropFirst()
        }.joined()
    }

    /// The JSON name protoc derives from a field name: underscores dropped, the letter after
    /// each one upper-cased. `tenant_id` → `tenantId`; `page_size` → `pageSize`.
    ///
    /// - Parameter fieldName: A proto field name.
    /// - Returns: The lowerCamelCase JSON name.
    package static func protoJSONName(_ fieldName: String) -> String {
        var result = ""
        var capitalizeNext = false
        for character in fieldName {
            if character == "_" {
                capitalizeNext = true
            } else if capitalizeNext {
                result += character.uppercased()
                capitalizeNext = false
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// The `#` delimiter of the shortest Swift raw string literal that holds a text unchanged:
    /// the text may contain neither the closing delimiter (three quotes, then the `#`s) nor the
    /// escape introducer (a backslash, then the `#`s).
    ///
    /// - Parameter text: The literal's content.
    /// - Returns: One or more `#`.
    package static func rawStringDelimiter(for text: String) -> String {
        var delimiter = "#"
        while text.contains("\"\"\"" + delimiter) || text.contains("\\" + delimiter) {
            delimiter += "#"
        }
        return delimiter
    }

    /// A string as a Swift string literal, with quotes and escapes.
    ///
    /// - Parameter value: The string.
    /// - Returns: The literal.
    package static func stringLiteral(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return "\"\(escaped)\""
    }
}
