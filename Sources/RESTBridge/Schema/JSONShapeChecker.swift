internal import RPCServer
internal import SwiftProtobuf

/// Checks a parsed JSON value against a message schema the way the protobuf JSON mapping reads
/// it, and names the first field that does not fit: unknown names, wrong JSON types, integers
/// out of range, unknown enum names, two members of one oneof, malformed timestamps.
struct JSONShapeChecker {
    let registry: SchemaRegistry

    /// Checks an object against a message.
    ///
    /// - Parameters:
    ///   - value: The JSON value.
    ///   - messageName: The message's full name.
    ///   - path: The path of `value` in the request, empty at the top.
    func check(_ value: JSONValue, message messageName: String, path: String) throws(FieldProblem) {
        if let special = WellKnownJSON(fullName: messageName) {
            try self.checkWellKnown(value, special, path: path)
            return
        }
        guard let schema = self.registry.message(messageName) else { return }
        if case .null = value { return }
        guard case .object(let members) = value else {
            throw FieldProblem(field: Self.display(path), problem: "must be an object, not \(value.kindDescription)")
        }
        var oneofs: [String: String] = [:]
        for (key, member) in members {
            let fieldPath = path.isEmpty ? key : path + "." + key
            guard let field = schema.field(named: key) else {
                throw FieldProblem(field: fieldPath, problem: "is not a field of \(schema.fullName)")
            }
            if let oneof = field.oneofName, member != .null {
                if let other = oneofs[oneof] {
                    throw FieldProblem(
                        field: fieldPath, problem: "cannot be set together with '\(other)' (oneof \(oneof))")
                }
                oneofs[oneof] = key
            }
            try self.check(member, field: field, path: fieldPath)
        }
    }

    /// Checks the value of one field (an array for repeated fields, an object for maps).
    ///
    /// - Parameters:
    ///   - value: The JSON value.
    ///   - field: The field.
    ///   - path: The field's path in the request.
    func check(_ value: JSONValue, field: FieldSchema, path: String) throws(FieldProblem) {
        if case .null = value { return }
        if field.isMap {
            guard case .object(let entries) = value else {
                throw FieldProblem(field: path, problem: "must be an object (a map), not \(value.kindDescription)")
            }
            guard case .message(let entryName) = field.kind,
                let valueField = self.registry.message(entryName)?.field(named: "value")
            else { return }
            for (key, entry) in entries {
                try self.check(entry, field: valueField, path: path + "." + key)
            }
            return
        }
        if field.isRepeated {
            guard case .array(let elements) = value else {
                throw FieldProblem(field: path, problem: "must be an array, not \(value.kindDescription)")
            }
            var single = field
            single.isRepeated = false
            for (index, element) in elements.enumerated() {
                guard element != .null else {
                    throw FieldProblem(field: "\(path)[\(index)]", problem: "cannot be null")
                }
                try self.check(element, field: single, path: "\(path)[\(index)]")
            }
            return
        }
        try self.checkSingle(value, kind: field.kind, path: path)
    }

    private func checkSingle(_ value: JSONValue, kind: FieldSchema.Kind, path: String) throws(FieldProblem) {
        switch kind {
        case .string:
            guard case .string = value else { throw Self.mismatch(path, "a string", value) }
        case .bytes:
            guard case .string(let text) = value else { throw Self.mismatch(path, "a base64 string", value) }
            guard (try? Google_Protobuf_BytesValue(jsonString: JSONText.quoted(text))) != nil else {
                throw FieldProblem(field: path, problem: "must be base64")
            }
        case .bool:
            guard case .bool = value else { throw Self.mismatch(path, "true or false", value) }
        case .int32, .uint32, .int64, .uint64:
            try Self.checkInteger(value, kind: kind, path: path)
        case .float, .double:
            switch value {
            case .number: break
            case .string(let text) where ["NaN", "Infinity", "-Infinity"].contains(text) || Double(text) != nil: break
            default: throw Self.mismatch(path, "a number", value)
            }
        case .enumeration(let enumName):
            switch value {
            case .string(let name):
                if let names = self.registry.enumValues(enumName), !names.contains(name) {
                    throw FieldProblem(
                        field: path,
                        problem: "has no value '\(name)'; expected one of \(names.joined(separator: ", "))"
                    )
                }
            case .number(let literal) where Int32(literal) != nil: break
            default: throw Self.mismatch(path, "an enum name (a string)", value)
            }
        case .message(let messageName):
            try self.check(value, message: messageName, path: path)
        }
    }

    private func checkWellKnown(_ value: JSONValue, _ type: WellKnownJSON, path: String) throws(FieldProblem) {
        if case .null = value { return }
        switch type {
        case .wrapper(let kind):
            try self.checkSingle(value, kind: kind, path: path)
        case .timestamp, .duration, .fieldMask:
            guard case .string = value else { throw Self.mismatch(path, type.expectation, value) }
            guard type.accepts(value.text) else {
                throw FieldProblem(field: Self.display(path), problem: "must be \(type.expectation)")
            }
        case .structure, .empty, .any:
            guard case .object = value else { throw Self.mismatch(path, "an object", value) }
        case .list:
            guard case .array = value else { throw Self.mismatch(path, "an array", value) }
        case .value:
            break
        }
    }

    private static func checkInteger(_ value: JSONValue, kind: FieldSchema.Kind, path: String) throws(FieldProblem) {
        let literal: String
        switch value {
        case .number(let text), .string(let text): literal = text
        default: throw Self.mismatch(path, "an integer", value)
        }
        let fits: Bool
        switch kind {
        case .int32: fits = Int32(literal) != nil || Self.integral(literal, in: Double(Int32.min)...Double(Int32.max))
        case .uint32: fits = UInt32(literal) != nil || Self.integral(literal, in: 0...Double(UInt32.max))
        case .int64: fits = Int64(literal) != nil
        default: fits = UInt64(literal) != nil
        }
        guard fits else {
            throw FieldProblem(
                field: path, problem: "must be an integer that fits \(Self.typeName(kind)), not \(literal)")
        }
    }

    private static func integral(_ literal: String, in range: ClosedRange<Double>) -> Bool {
        guard let number = Double(literal), Self.denotesInteger(literal) else { return false }
        return number.rounded() == number && range.contains(number)
    }

    /// Whether a JSON number literal denotes an integer exactly: `2.0`, `1e2` and `150e-1` do;
    /// `1.5` and `3e-400` do not, although a `Double` rounds the latter to 0.
    static func denotesInteger(_ literal: String) -> Bool {
        var text = Substring(literal)
        if text.first == "-" {
            text = text.dropFirst()
        }
        let exponentMark = text.firstIndex { $0 == "e" || $0 == "E" }
        let mantissa = exponentMark.map { text[..<$0] } ?? text
        let exponentText = exponentMark.map { text[text.index(after: $0)...] } ?? "0"
        let point = mantissa.firstIndex(of: ".")
        let fraction = point.map { mantissa[mantissa.index(after: $0)...] } ?? ""
        let digits = (point.map { mantissa[..<$0] } ?? mantissa) + fraction
        guard digits.contains(where: { $0 != "0" }) else { return true }  // zero
        let trailingZeros = digits.reversed().prefix { $0 == "0" }.count
        guard let exponent = Int(exponentText.hasPrefix("+") ? exponentText.dropFirst() : exponentText) else {
            // An exponent beyond Int: huge numbers are integers (and out of range), tiny ones not.
            return !exponentText.hasPrefix("-")
        }
        // The value is (digits without trailing zeros) × 10^(exponent - fraction + trailing zeros).
        return exponent >= fraction.count - trailingZeros
    }

    private static func typeName(_ kind: FieldSchema.Kind) -> String {
        switch kind {
        case .int32: "int32"
        case .uint32: "uint32"
        case .int64: "int64"
        default: "uint64"
        }
    }

    private static func mismatch(_ path: String, _ expected: String, _ value: JSONValue) -> FieldProblem {
        FieldProblem(field: Self.display(path), problem: "must be \(expected), not \(value.kindDescription)")
    }

    private static func display(_ path: String) -> String {
        path.isEmpty ? "(request body)" : path
    }
}
