/// Key-value pairs sent with a call: request headers, response headers and trailers.
///
/// Keys are lower-cased ASCII. Keys ending in `-bin` carry binary values (base64 on the
/// wire); all others carry printable ASCII strings. A key may appear more than once; order is
/// kept.
package struct Metadata: Sendable, Hashable, ExpressibleByDictionaryLiteral, Sequence {
    /// One metadata value: text, or bytes for `-bin` keys.
    package enum Value: Sendable, Hashable {
        /// A printable ASCII value.
        case string(String)
        /// A binary value, carried under a key ending in `-bin`.
        case binary([UInt8])
    }

    /// One key and its value.
    package struct Element: Sendable, Hashable {
        /// The lower-cased key.
        package var key: String
        /// The value.
        package var value: Value
    }

    private var elements: [Element]

    /// Creates empty metadata.
    package init() {
        self.elements = []
    }

    package init(dictionaryLiteral elements: (String, Value)...) {
        self.elements = elements.map { Element(key: $0.0.lowercased(), value: $0.1) }
    }

    /// The number of key-value pairs.
    package var count: Int { self.elements.count }

    /// Whether there are no pairs.
    package var isEmpty: Bool { self.elements.isEmpty }

    /// Makes room for `count` pairs in total, so that many appends allocate once.
    ///
    /// - Parameter count: The number of pairs expected.
    package mutating func reserveCapacity(_ count: Int) {
        self.elements.reserveCapacity(count)
    }

    /// Appends a text value.
    ///
    /// - Parameters:
    ///   - value: The value.
    ///   - key: The key; lower-cased on insertion.
    package mutating func addString(_ value: String, forKey key: String) {
        self.elements.append(Element(key: Self.lowercased(key), value: .string(value)))
    }

    /// Appends a binary value. The key should end in `-bin`.
    ///
    /// - Parameters:
    ///   - value: The bytes.
    ///   - key: The key; lower-cased on insertion.
    package mutating func addBinary(_ value: [UInt8], forKey key: String) {
        self.elements.append(Element(key: Self.lowercased(key), value: .binary(value)))
    }

    /// Appends one pair as it is.
    ///
    /// - Parameter element: The pair.
    package mutating func append(_ element: Element) {
        self.elements.append(Element(key: Self.lowercased(element.key), value: element.value))
    }

    /// Adds an element whose key is known to be lower-case already (an HTTP/2 field name).
    mutating func append(lowercased element: Element) {
        self.elements.append(element)
    }

    /// Appends every pair of `other`, in order; empty metadata takes `other`'s storage as it is.
    ///
    /// - Parameter other: The pairs to append (their keys are lower-case already).
    package mutating func append(contentsOf other: Metadata) {
        if self.elements.isEmpty {
            self.elements = other.elements
        } else {
            self.elements.append(contentsOf: other.elements)
        }
    }

    /// Removes every value stored under a key.
    ///
    /// - Parameter key: The key, compared case-insensitively.
    package mutating func removeAll(forKey key: String) {
        let key = Self.lowercased(key)
        self.elements.removeAll { $0.key == key }
    }

    /// The text values stored under a key, in order.
    ///
    /// - Parameter key: The key, compared case-insensitively.
    /// - Returns: Every `.string` value for the key.
    package func strings(forKey key: String) -> [String] {
        let key = Self.lowercased(key)
        return self.elements.compactMap { element in
            guard element.key == key, case .string(let value) = element.value else { return nil }
            return value
        }
    }

    /// The first text value stored under a key.
    ///
    /// - Parameter key: The key, compared case-insensitively.
    package func firstString(forKey key: String) -> String? {
        let key = Self.lowercased(key)
        for element in self.elements where element.key == key {
            if case .string(let value) = element.value {
                return value
            }
        }
        return nil
    }

    /// The binary values stored under a key, in order.
    ///
    /// - Parameter key: The key, compared case-insensitively.
    package func binaries(forKey key: String) -> [[UInt8]] {
        let key = Self.lowercased(key)
        return self.elements.compactMap { element in
            guard element.key == key, case .binary(let value) = element.value else { return nil }
            return value
        }
    }

    /// `key` in lower case; the same string, without copying, when it has no upper-case ASCII
    /// letter (keys almost always arrive lower-cased).
    private static func lowercased(_ key: String) -> String {
        let hasUppercase =
            key.utf8.withContiguousStorageIfAvailable { bytes in
                bytes.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
            } ?? key.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
        return hasUppercase ? key.lowercased() : key
    }

    package func makeIterator() -> IndexingIterator<[Element]> {
        self.elements.makeIterator()
    }
}
