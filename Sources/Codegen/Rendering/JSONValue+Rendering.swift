package import SwiftProtobufPluginLibrary

extension JSONValue {
    /// The value as indented JSON: two spaces per level, `"key": value`, one member or element
    /// per line, `{}` and `[]` for empty containers, no trailing newline.
    package var prettyText: String {
        var printer = CodePrinter(indent: "  ".unicodeScalars, addNewlines: false)
        self.render(into: &printer)
        return printer.content
    }

    /// The value as JSON on one line without spaces.
    package var compactText: String {
        switch self {
        case .object(let members):
            "{" + members.map { Self.quoted($0.key) + ":" + $0.value.compactText }.joined(separator: ",") + "}"
        case .array(let elements):
            "[" + elements.map(\.compactText).joined(separator: ",") + "]"
        default:
            self.scalarText
        }
    }

    /// Prints the value as indented JSON, continuing the printer's current line.
    ///
    /// - Parameter printer: The printer; its indentation step is the JSON indentation.
    package func render(into printer: inout CodePrinter) {
        switch self {
        case .object(let members) where !members.isEmpty:
            printer.print("{\n", newlines: false)
            printer.withIndentation { printer in
                for (index, member) in members.enumerated() {
                    printer.print(Self.quoted(member.key) + ": ", newlines: false)
                    member.value.render(into: &printer)
                    printer.print(index == members.count - 1 ? "\n" : ",\n", newlines: false)
                }
            }
            printer.print("}", newlines: false)
        case .array(let elements) where !elements.isEmpty:
            printer.print("[\n", newlines: false)
            printer.withIndentation { printer in
                for (index, element) in elements.enumerated() {
                    element.render(into: &printer)
                    printer.print(index == elements.count - 1 ? "\n" : ",\n", newlines: false)
                }
            }
            printer.print("]", newlines: false)
        default:
            printer.print(self.compactText, newlines: false)
        }
    }

    private var scalarText: String {
        switch self {
        case .object: "{}"
        case .array: "[]"
        case .string(let value): Self.quoted(value)
        case .integer(let value): String(value)
        case .number(let value): value.isFinite ? String(value) : "null"
        case .bool(let value): value ? "true" : "false"
        case .null: "null"
        }
    }

    /// A string as a JSON string literal: quotes, backslashes and control characters escaped,
    /// everything else (including non-ASCII) kept as is.
    ///
    /// - Parameter value: The string.
    /// - Returns: The literal with its quotes.
    package static func quoted(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
