internal import FuzzSupport
internal import RESTBridge
internal import RPCServer

/// libFuzzer entry point: one REST request to the echo fixture's gateway, bound to an RPC
/// request message as `google.api.http` describes (path variables, query parameters, JSON
/// bodies into the whole message or one field, `Last-Event-ID`), then answered (unary, or a
/// stream read up to 64 chunks).
///
/// The input reads like an HTTP/1.1 request without the framing rules: `METHOD TARGET`, header
/// lines `name: value`, an empty line, then the body (the JSON). Checked on every input: the
/// status is a real one, `x-request-id` is answered exactly once, every error has the one JSON
/// error shape with `code` equal to the status, and a body that parses as JSON prints back to
/// text that parses to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESTBinding(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let requestLine = input.text()
    let parts = requestLine.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
    let method = String(parts[0])
    let target = parts.count > 1 ? String(parts[1]) : "/"
    var headers: [(name: String, value: String)] = []
    while !input.rest.isEmpty {
        let line = input.text()
        guard !line.isEmpty, line != "\r" else { break }
        let field = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        headers.append((String(field[0]), field.count > 1 ? String(field[1].drop { $0 == " " }) : ""))
    }
    let body = Array(input.rest)
    RESTBindingChecks.jsonRoundTrip(body)
    let request = HTTPRequest(method: method, target: target, headers: headers, body: body, peer: "127.0.0.1:50123")
    let gateway = EchoStack.shared.gateway
    let response = TaskRunner.run { await RESTBindingChecks.exchange(request, gateway: gateway) }
    RESTBindingChecks.check(response)
    return 0
}
