/// The fields of an `application/x-www-form-urlencoded` body, as HTML forms post them.
package struct FormFields: Sendable {
    /// The fields in order; a name may repeat.
    package private(set) var pairs: [(name: String, value: String)]

    /// The most fields a form may carry.
    package static let maximumFields = 64
    /// The largest form body, in bytes.
    package static let maximumBytes = 64 * 1024

    /// Parses a body.
    ///
    /// - Throws: ``FormFieldsError`` for a body over ``maximumBytes``, over ``maximumFields``
    ///   fields, a bad percent escape, or text that is not UTF-8.
    package init(body: [UInt8]) throws {
        guard body.count <= Self.maximumBytes else {
            throw FormFieldsError(message: "The form is larger than \(Self.maximumBytes) bytes.")
        }
        self.pairs = []
        guard !body.isEmpty else { return }
        for part in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            guard self.pairs.count < Self.maximumFields else {
                throw FormFieldsError(message: "The form has more than \(Self.maximumFields) fields.")
            }
            let equals = part.firstIndex(of: UInt8(ascii: "="))
            let name = try Self.decode(part[..<(equals ?? part.endIndex)])
            let value = try equals.map { try Self.decode(part[part.index(after: $0)...]) } ?? ""
            self.pairs.append((name, value))
        }
    }

    /// The first value of `name`, if any.
    package subscript(name: String) -> String? {
        self.pairs.first { $0.name == name }?.value
    }

    private static func decode(_ bytes: ArraySlice<UInt8>) throws -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") {
                guard bytes.distance(from: index, to: bytes.endIndex) >= 3,
                    let high = Self.hexValue(bytes[bytes.index(index, offsetBy: 1)]),
                    let low = Self.hexValue(bytes[bytes.index(index, offsetBy: 2)])
                else {
                    throw FormFieldsError(message: "The form has a malformed percent escape.")
                }
                out.append(high << 4 | low)
                index = bytes.index(index, offsetBy: 2)
            } else {
                out.append(byte)
            }
            index = bytes.index(after: index)
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw FormFieldsError(message: "The form is not UTF-8 text.")
        }
        return text
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A form body could not be read; the message says why (answered with 400).
package struct FormFieldsError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    package var message: String

    package var description: String { self.message }
}
