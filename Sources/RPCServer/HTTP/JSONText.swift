/// Builds JSON text fragments by hand where a whole encoder is not needed.
package enum JSONText {
    /// A string as a JSON string literal, with quotes, backslashes and control characters
    /// escaped.
    ///
    /// - Parameter value: The string.
    /// - Returns: The quoted literal.
    package static func quoted(_ value: String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
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
