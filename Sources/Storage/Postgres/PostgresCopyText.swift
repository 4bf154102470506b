/// Rows in the text format of `COPY … FROM STDIN`: columns separated by tabs, rows ended by
/// newlines, `\N` for NULL, and backslash, tab, newline and carriage return escaped in values.
///
/// NUL, which no PostgreSQL text value can hold, is dropped from values.
package struct PostgresCopyText: Sendable {
    /// The encoded rows.
    package private(set) var bytes: [UInt8] = []
    /// How many rows were appended.
    package private(set) var rowCount = 0

    /// An empty batch.
    package init() {}

    /// Appends a row.
    ///
    /// - Parameter values: The row's columns in the statement's order; `nil` is NULL.
    package mutating func appendRow(_ values: [String?]) {
        for (index, value) in values.enumerated() {
            if index > 0 { self.bytes.append(UInt8(ascii: "\t")) }
            guard let value else {
                self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
                continue
            }
            for byte in value.utf8 {
                switch byte {
                case 0:
                    continue
                case UInt8(ascii: "\\"):
                    self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case UInt8(ascii: "\t"):
                    self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case UInt8(ascii: "\n"):
                    self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case UInt8(ascii: "\r"):
                    self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                default:
                    self.bytes.append(byte)
                }
            }
        }
        self.bytes.append(UInt8(ascii: "\n"))
        self.rowCount += 1
    }
}
