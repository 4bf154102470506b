/// A `multipart/form-data` body that cannot be read, with what is wrong in words a client
/// can act on.
package struct MultipartError: Error, Equatable, CustomStringConvertible {
    /// What is wrong, e.g. "a part's header block is larger than 8192 bytes".
    package var message: String

    /// Creates an error.
    ///
    /// - Parameter message: What is wrong.
    package init(_ message: String) {
        self.message = message
    }

    package var description: String { self.message }
}
