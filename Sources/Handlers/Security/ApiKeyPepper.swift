/// The server's secret pepper for API-key and rotation-token hashes, read from `API_KEY_PEPPER`.
///
/// The text is taken as hex when it is an even number of hex digits spelling at least 32 bytes
/// (`openssl rand -hex 32`); otherwise its UTF-8 bytes are the pepper, and there must be at least 32.
/// Changing the pepper invalidates every stored key, so it is as durable as the database.
package struct ApiKeyPepper: Sendable, Hashable {
    /// The fewest bytes a pepper may have.
    package static let minimumByteCount = 32

    /// The pepper's bytes.
    package let bytes: [UInt8]

    /// Why a pepper text was refused; never contains the text.
    package struct Invalid: Error, Sendable, CustomStringConvertible {
        /// What is wrong.
        package var description: String
    }

    /// Reads a pepper from its configured text.
    ///
    /// - Parameter text: The value of `API_KEY_PEPPER`.
    /// - Throws: ``Invalid`` when the text gives fewer than 32 bytes.
    package init(text: String) throws {
        if let decoded = Hex.decode(text), decoded.count >= Self.minimumByteCount {
            self.bytes = decoded
            return
        }
        let utf8 = Array(text.utf8)
        guard utf8.count >= Self.minimumByteCount else {
            throw Invalid(
                description: "must be at least \(Self.minimumByteCount) bytes (e.g. `openssl rand -hex 32`),"
                    + " not \(utf8.count)"
            )
        }
        self.bytes = utf8
    }
}
