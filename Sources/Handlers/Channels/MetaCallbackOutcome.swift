/// How a Meta callback request ends; the route answers it over HTTP.
package enum MetaCallbackOutcome: Sendable, Equatable {
    /// The verification handshake succeeded: answer 200 with the challenge as plain text.
    case challenge(String)
    /// The event was stored (or deliberately dropped for a disabled channel): answer 200.
    case accepted
    /// 404: no channel is behind the URL.
    case notFound(String)
    /// 403: the handshake's mode or verify token is wrong.
    case forbidden(String)
    /// 401: the signature is missing or does not match; nothing was stored.
    case unauthorized(String)
    /// 400: the signed body is not a callback of the channel's platform; nothing was stored.
    case badRequest(String)
    /// 503: the event could not be stored; Meta delivers it again later.
    case unavailable(String)
}
