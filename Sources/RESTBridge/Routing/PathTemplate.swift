/// A `google.api.http` path template compiled for matching, e.g.
/// `/v1/rooms/{target.room_id}/users/{target.user_id=*}` or `/v1/{name=files/**}:download`.
///
/// Grammar (as in `google/api/http.proto`): segments are literals, `*` (one segment) or `**`
/// (the rest); a variable `{field.path}` means `{field.path=*}` and may span several segments.
package struct PathTemplate: Sendable {
    /// One element of the flattened template.
    package enum Segment: Sendable, Equatable {
        /// A literal segment.
        case literal(String)
        /// Exactly one segment.
        case single
        /// Zero or more segments, only last.
        case rest
    }

    /// A variable: the field it binds and which segments it covers.
    package struct Variable: Sendable {
        /// The field path, e.g. `target.room_id`.
        package var fieldPath: String
        /// The first covered segment index.
        package var start: Int
        /// One past the last covered segment index (`rest` may extend to the path's end).
        package var end: Int
    }

    /// Why a template could not be compiled.
    package struct Malformed: Error, CustomStringConvertible {
        var template: String
        var reason: String
        package var description: String { "Path template '\(self.template)' is malformed: \(self.reason)." }
    }

    /// The template's segments, variables flattened into the segments they cover.
    package let segments: [Segment]
    /// The variables, in template order.
    package let variables: [Variable]
    /// The custom verb after the last `:`, if any.
    package let verb: String?
    /// The template as written.
    package let text: String

    /// Compiles a template.
    ///
    /// - Parameter text: The template, starting with `/`.
    package init(_ text: String) throws {
        self.text = text
        guard text.hasPrefix("/") else { throw Malformed(template: text, reason: "it must start with '/'") }
        var body = Substring(text.dropFirst())
        var verb: String?
        if let colon = body.lastIndex(of: ":"), !body[colon...].contains("/"), !body[colon...].contains("}") {
            verb = String(body[body.index(after: colon)...])
            body = body[..<colon]
        }
        self.verb = verb
        var segments: [Segment] = []
        var variables: [Variable] = []
        var index = body.startIndex
        while index < body.endIndex {
            if body[index] == "{" {
                guard let close = body[index...].firstIndex(of: "}") else {
                    throw Malformed(template: text, reason: "'{' is not closed")
                }
                let inner = body[body.index(after: index)..<close]
                let parts = inner.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let fieldPath = String(parts[0])
                guard !fieldPath.isEmpty else { throw Malformed(template: text, reason: "a variable has no field") }
                let pattern = parts.count > 1 ? String(parts[1]) : "*"
                let start = segments.count
                for piece in pattern.split(separator: "/", omittingEmptySubsequences: false) {
                    segments.append(try Self.segment(piece, template: text))
                }
                variables.append(Variable(fieldPath: fieldPath, start: start, end: segments.count))
                index = body.index(after: close)
            } else {
                let end = body[index...].firstIndex(of: "/") ?? body.endIndex
                segments.append(try Self.segment(body[index..<end], template: text))
                index = end
            }
            if index < body.endIndex {
                guard body[index] == "/" else {
                    throw Malformed(template: text, reason: "expected '/' after a variable")
                }
                index = body.index(after: index)
            }
        }
        if let restIndex = segments.firstIndex(of: .rest), restIndex != segments.count - 1 {
            throw Malformed(template: text, reason: "'**' must be the last segment")
        }
        self.segments = segments
        self.variables = variables
    }

    private static func segment(_ piece: Substring, template: String) throws -> Segment {
        switch piece {
        case "*": return .single
        case "**": return .rest
        case "": throw Malformed(template: template, reason: "it has an empty segment")
        default: return .literal(String(piece))
        }
    }

    /// The template with variables written as `{field.path}`, as OpenAPI paths are.
    package var openAPIPath: String {
        var output = ""
        var segment = 0
        for variable in self.variables {
            while segment < variable.start {
                output += "/" + self.describe(self.segments[segment])
                segment += 1
            }
            output += "/{\(variable.fieldPath)}"
            segment = variable.end
        }
        while segment < self.segments.count {
            output += "/" + self.describe(self.segments[segment])
            segment += 1
        }
        if let verb = self.verb { output += ":" + verb }
        return output.isEmpty ? "/" : output
    }

    private func describe(_ segment: Segment) -> String {
        switch segment {
        case .literal(let text): text
        case .single: "*"
        case .rest: "**"
        }
    }

    /// Matches raw path segments (still percent-encoded), returning each variable's value.
    ///
    /// - Parameters:
    /// - Parameter requestSegments: The request path split on `/`, without the leading empty one.
    /// - Returns: Field path and decoded value per variable, or `nil` when it does not match.
    package func match(_ requestSegments: [Substring]) -> [(fieldPath: String, value: String)]? {
        var pathSegments = requestSegments
        if let verb = self.verb {
            guard let last = pathSegments.last, let colon = last.lastIndex(of: ":"),
                last[last.index(after: colon)...] == verb
            else { return nil }
            pathSegments[pathSegments.count - 1] = last[..<colon]
        }
        let hasRest = self.segments.last == .rest
        if hasRest {
            guard pathSegments.count >= self.segments.count - 1 else { return nil }
        } else {
            guard pathSegments.count == self.segments.count else { return nil }
        }
        for (index, segment) in self.segments.enumerated() {
            switch segment {
            case .literal(let text):
                guard pathSegments[index] == text else { return nil }
            case .single:
                guard !pathSegments[index].isEmpty else { return nil }
            case .rest:
                break
            }
        }
        var values: [(fieldPath: String, value: String)] = []
        for variable in self.variables {
            let end = variable.end == self.segments.count && hasRest ? pathSegments.count : variable.end
            let covered = pathSegments[variable.start..<end]
            let multi = end - variable.start > 1 || hasRest && variable.end == self.segments.count
            let raw = covered.joined(separator: "/")
            // One-segment variables decode everything (`%2F` included); multi-segment ones keep
            // `%2F` encoded so the segments stay recoverable.
            guard let decoded = PercentDecoding.decode(raw, keepingSlashes: multi) else { return nil }
            values.append((variable.fieldPath, decoded))
        }
        return values
    }

    /// How specific the template is, for choosing among matches: literals beat `*`, which beats
    /// `**`, compared segment by segment from the left.
    package var specificity: [Int] {
        self.segments.map { segment in
            switch segment {
            case .literal: 2
            case .single: 1
            case .rest: 0
            }
        }
    }
}
