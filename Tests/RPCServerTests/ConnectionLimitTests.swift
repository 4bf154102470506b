import Foundation
import RPCServer
import Testing

@Suite("Connection limits")
struct ConnectionLimitTests {
    /// Answers every request with 200.
    struct OK: HTTPResponder {
        func respond(to request: HTTPRequest) async -> HTTPResponse { HTTPResponse(status: 200) }
    }

    @Test("A connection that sends nothing is closed once the idle timeout passes")
    func silentConnectionIsClosed() async throws {
        let shortIdleTimeout: (inout RPCServerConfiguration) -> Void = { $0.idleTimeout = .milliseconds(100) }
        let answer = try await RunningServer.with(responder: OK(), configure: shortIdleTimeout) { port in
            // Returns only when the server closes the connection.
            try await RawHTTPClient.exchange("", port: port)
        }
        #expect(answer.isEmpty)
    }

    @Test("Past maxConnections a new connection is closed unanswered while the existing one keeps working")
    func connectionsBeyondTheLimitAreClosed() async throws {
        let oneConnection: (inout RPCServerConfiguration) -> Void = { $0.maxConnections = 1 }
        let (refused, existing) = try await RunningServer.with(responder: OK(), configure: oneConnection) { port in
            let held = try await HTTP2ClientTransport.connect(host: "127.0.0.1", port: port)
            let refused = try await RawHTTPClient.exchange(
                "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                port: port
            )
            // The held connection still gets answers: an unknown method's UNIMPLEMENTED status.
            let existing = await #expect(throws: RPCError.self) {
                _ = try await held.unary(
                    MethodDescriptor(service: "test.Nothing", method: "Call", kind: .unary),
                    request: [],
                    metadata: [:],
                    options: .defaults
                )
            }
            await held.close()
            return (refused, existing?.code)
        }
        #expect(refused.isEmpty)
        #expect(existing == .unimplemented)
    }

    @Test("An HTTP/1.1 client that never finishes its request head is disconnected unanswered")
    func slowHeadersAreCutOff() async throws {
        let shortHeaderTimeout: (inout RPCServerConfiguration) -> Void = {
            $0.http1HeaderReadTimeout = .milliseconds(100)
        }
        let answer = try await RunningServer.with(responder: OK(), configure: shortHeaderTimeout) { port in
            // Returns only when the server closes the connection.
            try await RawHTTPClient.exchange("GET /slow HTTP/1.1\r\nHost: t\r\nX-Trickle: a", port: port)
        }
        #expect(answer.isEmpty)
    }

    @Test("Pipelined keep-alive requests are all answered while the header-read timer is re-armed between them")
    func keepAliveRequestsAreAnswered() async throws {
        let answer = try await RunningServer.with(responder: OK()) { port in
            try await RawHTTPClient.exchange(
                "GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                port: port
            )
        }
        #expect(answer.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
    }
}
