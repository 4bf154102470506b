internal import FuzzSupport
internal import RESTBridge
internal import RPCServer

/// The checks of `fuzz-rest-binding`.
enum RESTBindingChecks {
    /// What came back: the response and the body chunks read from a stream.
    struct Exchange: Sendable {
        var response: HTTPResponse
        var streamed: [[UInt8]]
    }

    /// Sends the request and reads up to 64 chunks of a streamed body (then the client stops).
    static func exchange(_ request: HTTPRequest, gateway: RESTGateway) async -> Exchange {
        let response = await gateway.respond(to: request)
        var streamed: [[UInt8]] = []
        if let stream = response.bodyStream {
            do {
                for try await chunk in stream {
                    streamed.append(chunk)
                    if streamed.count == 64 { break }
                }
            } catch {
                // A stream that fails ends the response; the client sees it end.
            }
        }
        return Exchange(response: response, streamed: streamed)
    }

    /// The gateway's promises about every response.
    static func check(_ exchange: Exchange) {
        let response = exchange.response
        fuzzCheck((100...599).contains(response.status), "status \(response.status)")
        let requestIDs = response.headers.filter { $0.name.lowercased() == "x-request-id" }
        fuzzCheck(requestIDs.count == 1, "\(requestIDs.count) x-request-id headers")
        let encoded = response.headers.contains { $0.name.lowercased() == "content-encoding" }
        guard response.status >= 400, !encoded else { return }
        guard case .object(let members)? = try? JSONParser.parse(response.body),
            members.count == 1, case .object(let error)? = members.first.map({ $0.value }),
            members.first?.key == "error"
        else {
            fuzzCheck(
                false,
                "error \(response.status) without the error shape: \(String(decoding: response.body, as: UTF8.self))")
            return
        }
        let fields = Dictionary(error.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        fuzzCheck(
            fields["code"] == .number(String(response.status)), "error code differs from status \(response.status)")
        if case .string = fields["status"] {} else { fuzzCheck(false, "error without a status name") }
        if case .string = fields["message"] {} else { fuzzCheck(false, "error without a message") }
        fuzzCheck(fields["details"] == .array([]), "error details are not []")
    }

    /// A body that parses as JSON prints to text that parses to the same value.
    static func jsonRoundTrip(_ body: [UInt8]) {
        guard let value = try? JSONParser.parse(body) else { return }
        let text = value.text
        guard let again = try? JSONParser.parse(Array(text.utf8)) else {
            fuzzCheck(false, "printed JSON does not parse: \(text)")
            return
        }
        fuzzCheck(again == value, "printed JSON parses to a different value: \(text)")
    }
}
