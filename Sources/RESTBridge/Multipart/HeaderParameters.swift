/// A header value with parameters, as in `content-type` and `content-disposition`:
/// `value; name=token; name="quoted \"string\""`. Parameter names compare case-insensitively;
/// the first of a repeated name counts. Malformed parameters are skipped, never guessed at.
struct HeaderParameters {
    /// The value before the first `;`, trimmed.
    let value: String
    private let parameters: [(name: String, value: String)]

    /// Splits a header value.
    ///
    /// - Parameter text: The header value.
    init(_ text: String) {
        var scalars = Substring(text).unicodeScalars[...]
        var value = ""
        while let scalar = scalars.first, scalar != ";" {
            value.unicodeScalars.append(scalar)
            scalars.removeFirst()
        }
        self.value = value.trimmingSpaces
        var parameters: [(name: String, value: String)] = []
        while scalars.first == ";" {
            scalars.removeFirst()
            var name = ""
            while let scalar = scalars.first, scalar != "=", scalar != ";" {
                name.unicodeScalars.append(scalar)
                scalars.removeFirst()
            }
            guard scalars.first == "=" else { continue }
            scalars.removeFirst()
            while scalars.first == " " || scalars.first == "\t" { scalars.removeFirst() }
            var parameterValue = ""
            if scalars.first == "\"" {
                scalars.removeFirst()
                var closed = false
                while let scalar = scalars.popFirst() {
                    if scalar == "\"" {
                        closed = true
                        break
                    }
                    if scalar == "\\", let escaped = scalars.popFirst() {
                        parameterValue.unicodeScalars.append(escaped)
                    } else {
                        parameterValue.unicodeScalars.append(scalar)
                    }
                }
                while let scalar = scalars.first, scalar != ";" { scalars.removeFirst() }
                guard closed else { continue }
            } else {
                while let scalar = scalars.first, scalar != ";" {
                    parameterValue.unicodeScalars.append(scalar)
                    scalars.removeFirst()
                }
                parameterValue = parameterValue.trimmingSpaces
            }
            parameters.append((name.trimmingSpaces.lowercased(), parameterValue))
        }
        self.parameters = parameters
    }

    /// The first parameter called `name` (lower case).
    subscript(name: String) -> String? {
        self.parameters.first { $0.name == name }?.value
    }
}

extension String {
    /// The text without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: String {
        let scalars = self.unicodeScalars
        guard let start = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let end = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(scalars[start...end])
    }
}
