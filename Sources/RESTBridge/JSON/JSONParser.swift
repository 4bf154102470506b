/// Parses JSON text (RFC 8259) into a ``JSONValue``, reporting where malformed input goes wrong.
///
/// Used on the REST bridge's error path to say *where* a body is malformed and *which* field has
/// the wrong type, and to read documents the bridge rewrites (OpenAPI, `response_body`).
package struct JSONParser {
    /// Why and where parsing stopped.
    package struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        /// What was wrong, e.g. `expected ':' after an object key`.
        package var reason: String
        /// The 1-based line of the offending byte.
        package var line: Int
        /// The 1-based column (in bytes) of the offending byte.
        package var column: Int

        package var description: String { "\(self.reason) at line \(self.line), column \(self.column)" }
    }

    /// Nesting deeper than this is refused, so hostile input cannot exhaust the stack.
    package static let maxDepth = 100

    private let bytes: [UInt8]
    private var index = 0

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses one JSON document; only whitespace may follow it.
    ///
    /// - Parameter bytes: UTF-8 JSON text.
    /// - Returns: The value.
    /// - Throws: ``SyntaxError``.
    package static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else {
            throw parser.error("unexpected text after the JSON value")
        }
        return value
    }

    private func error(_ reason: String) -> SyntaxError {
        var line = 1
        var column = 1
        for byte in self.bytes[..<min(self.index, self.bytes.count)] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return SyntaxError(reason: reason, line: line, column: column)
    }

    private var current: UInt8? { self.index < self.bytes.count ? self.bytes[self.index] : nil }

    private mutating func skipWhitespace() {
        while let byte = self.current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            self.index += 1
        }
    }

    private mutating func parseValue(depth: Int) throws(SyntaxError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw self.error("nesting deeper than \(Self.maxDepth) levels") }
        guard let byte = self.current else { throw self.error("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return try self.parseObject(depth: depth)
        case UInt8(ascii: "["): return try self.parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try self.parseString())
        case UInt8(ascii: "t"): return try self.parseLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try self.parseLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try self.parseLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try self.parseNumber()
        default: throw self.error("unexpected character '\(Self.printable(byte))', expected a value")
        }
    }

    private static func printable(_ byte: UInt8) -> String {
        (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\u{\(String(byte, radix: 16))}"
    }

    private mutating func parseLiteral(_ word: String, _ value: JSONValue) throws(SyntaxError) -> JSONValue {
        for expected in word.utf8 {
            guard self.current == expected else { throw self.error("invalid literal, expected '\(word)'") }
            self.index += 1
        }
        return value
    }

    private mutating func parseObject(depth: Int) throws(SyntaxError) -> JSONValue {
        self.index += 1
        var members: [(key: String, value: JSONValue)] = []
        self.skipWhitespace()
        if self.current == UInt8(ascii: "}") {
            self.index += 1
            return .object(members)
        }
        while true {
            self.skipWhitespace()
            guard self.current == UInt8(ascii: "\"") else { throw self.error("expected a quoted object key") }
            let key = try self.parseString()
            self.skipWhitespace()
            guard self.current == UInt8(ascii: ":") else { throw self.error("expected ':' after the key \"\(key)\"") }
            self.index += 1
            self.skipWhitespace()
            members.append((key, try self.parseValue(depth: depth + 1)))
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "}"):
                self.index += 1
                return .object(members)
            default: throw self.error("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(SyntaxError) -> JSONValue {
        self.index += 1
        var elements: [JSONValue] = []
        self.skipWhitespace()
        if self.current == UInt8(ascii: "]") {
            self.index += 1
            return .array(elements)
        }
        while true {
            self.skipWhitespace()
            elements.append(try self.parseValue(depth: depth + 1))
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "]"):
                self.index += 1
                return .array(elements)
            default: throw self.error("expected ',' or ']' in an array")
            }
        }
    }

    private mutating func parseNumber() throws(SyntaxError) -> JSONValue {
        let start = self.index
        if self.current == UInt8(ascii: "-") { self.index += 1 }
        guard let first = self.current, Self.isDigit(first) else { throw self.error("expected a digit") }
        if first == UInt8(ascii: "0") {
            self.index += 1
            if let next = self.current, Self.isDigit(next) { throw self.error("numbers cannot have leading zeros") }
        } else {
            self.skipDigits()
        }
        if self.current == UInt8(ascii: ".") {
            self.index += 1
            guard let next = self.current, Self.isDigit(next) else { throw self.error("expected a digit after '.'") }
            self.skipDigits()
        }
        if self.current == UInt8(ascii: "e") || self.current == UInt8(ascii: "E") {
            self.index += 1
            if self.current == UInt8(ascii: "+") || self.current == UInt8(ascii: "-") { self.index += 1 }
            guard let next = self.current, Self.isDigit(next) else { throw self.error("expected an exponent") }
            self.skipDigits()
        }
        return .number(String(decoding: self.bytes[start..<self.index], as: UTF8.self))
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while let byte = self.current, Self.isDigit(byte) { self.index += 1 }
    }

    private mutating func parseString() throws(SyntaxError) -> String {
        self.index += 1
        var scalars: [UInt8] = []
        while true {
            guard let byte = self.current else { throw self.error("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                self.index += 1
                guard let text = String(validating: scalars, as: UTF8.self) else {
                    throw self.error("string is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                self.index += 1
                try self.parseEscape(into: &scalars)
            case 0x00..<0x20:
                throw self.error("control character in a string")
            default:
                scalars.append(byte)
                self.index += 1
            }
        }
    }

    private mutating func parseEscape(into output: inout [UInt8]) throws(SyntaxError) {
        guard let byte = self.current else { throw self.error("unterminated escape") }
        self.index += 1
        switch byte {
        case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): output.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try self.parseHex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard self.current == UInt8(ascii: "\\"), self.index + 1 < self.bytes.count,
                    self.bytes[self.index + 1] == UInt8(ascii: "u")
                else { throw self.error("unpaired surrogate in \\u escape") }
                self.index += 2
                let low = try self.parseHex4()
                guard (0xDC00..<0xE000).contains(low) else { throw self.error("invalid low surrogate in \\u escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw self.error("invalid \\u escape") }
            output.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
            self.index -= 1
            throw self.error("invalid escape '\\\(Self.printable(byte))'")
        }
    }

    private mutating func parseHex4() throws(SyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = self.current, let digit = PercentDecoding.hexValue(byte) else {
                throw self.error("expected four hex digits in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            self.index += 1
        }
        return value
    }
}
