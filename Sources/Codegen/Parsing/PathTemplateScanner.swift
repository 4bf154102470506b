/// Finds the variables of a `google.api.http` path template and checks its shape.
package enum PathTemplateScanner {
    /// The field paths bound by a template's variables, in order.
    ///
    /// `/api/tenants/{tenant_id}/keys/{key.id=*}` binds `tenant_id` and `key.id`.
    ///
    /// - Parameters:
    ///   - template: The path template.
    ///   - method: The method's full name, for error messages.
    /// - Returns: The field paths.
    /// - Throws: ``CodegenError`` when the template does not start with `/`, has unbalanced or
    ///   nested braces, an empty variable, or binds a field twice.
    package static func variables(in template: String, method: String) throws -> [String] {
        guard template.hasPrefix("/") else {
            throw CodegenError(code: .invalidHTTPRule, message: "\(method): path '\(template)' must start with '/'.")
        }
        var variables: [String] = []
        var current: String?
        for character in template {
            switch character {
            case "{":
                guard current == nil else {
                    throw CodegenError(code: .invalidHTTPRule, message: "\(method): nested '{' in '\(template)'.")
                }
                current = ""
            case "}":
                guard let variable = current else {
                    throw CodegenError(code: .invalidHTTPRule, message: "\(method): unmatched '}' in '\(template)'.")
                }
                let fieldPath = String(variable.split(separator: "=", maxSplits: 1).first ?? "")
                guard !fieldPath.isEmpty else {
                    throw CodegenError(code: .invalidHTTPRule, message: "\(method): empty variable in '\(template)'.")
                }
                guard !variables.contains(fieldPath) else {
                    throw CodegenError(
                        code: .invalidHTTPRule,
                        message: "\(method): '\(template)' binds '\(fieldPath)' twice."
                    )
                }
                variables.append(fieldPath)
                current = nil
            default:
                current?.append(character)
            }
        }
        guard current == nil else {
            throw CodegenError(code: .invalidHTTPRule, message: "\(method): unclosed '{' in '\(template)'.")
        }
        return variables
    }
}
