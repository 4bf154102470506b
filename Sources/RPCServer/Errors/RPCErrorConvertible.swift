/// An error that knows which ``RPCError`` it becomes on the wire.
///
/// Domain errors conform to this so that the status and message a client sees are decided in
/// one place, identically for gRPC and REST.
package protocol RPCErrorConvertible: Error {
    /// The status and message to send to the client.
    var rpcError: RPCError { get }
}
