/// An error that ends an RPC with a status code and a message the client may read.
///
/// Handlers throw `RPCError` (or any error conforming to ``RPCErrorConvertible``) to choose
/// the status a call ends with. Any other error ends the call with ``Code/internalError`` and
/// a fixed message; its description never reaches the client.
///
/// ```swift
/// throw RPCError(code: .notFound, message: "tenant 'acme' was not found")
/// ```
package struct RPCError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The status code the call ends with.
    package var code: Code
    /// A human-readable message for the client. Sent percent-encoded in `grpc-message`.
    package var message: String
    /// Extra metadata sent to the client in the trailers.
    package var metadata: Metadata

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The status code.
    ///   - message: The message for the client; name what was wrong, never include secrets.
    ///   - metadata: Extra trailing metadata.
    package init(code: Code, message: String, metadata: Metadata = [:]) {
        self.code = code
        self.message = message
        self.metadata = metadata
    }

    package var description: String {
        "\(self.code): \(self.message)"
    }
}

extension RPCError: RPCErrorConvertible {
    package var rpcError: RPCError { self }
}

extension RPCError {
    /// The message sent when a handler throws an error that is not ``RPCErrorConvertible``.
    package static let unknownErrorMessage = "The service method threw an unexpected error."

    /// Converts any error into the status a client sees: convertible errors keep their code
    /// and message; anything else becomes `internal` with a fixed message.
    ///
    /// - Parameter error: The error a handler threw.
    /// - Returns: The error to report on the wire.
    package static func from(_ error: any Error) -> RPCError {
        if let convertible = error as? any RPCErrorConvertible {
            return convertible.rpcError
        }
        if error is CancellationError {
            return RPCError(code: .cancelled, message: "The call was cancelled.")
        }
        return RPCError(code: .internalError, message: RPCError.unknownErrorMessage)
    }
}
