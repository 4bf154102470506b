import Foundation
import RPCServer
import Testing

@Suite("HTTP/1.1 face")
struct HTTP1ServerTests {
    /// Answers with the method, path and body length it saw, and echoes `x-echo`.
    struct Reflector: HTTPResponder {
        func respond(to request: HTTPRequest) async -> HTTPResponse {
            var response = HTTPResponse.json(
                status: 200,
                #"{"method":"\#(request.method)","path":"\#(request.path)","bytes":\#(request.body.count)}"#
            )
            if let echo = request.header("X-Echo") {
                response.headers.append(("x-echo", echo))
            }
            return response
        }
    }

    @Test("A request is answered with the responder's status, headers, body and a content-length")
    func answersRequest() async throws {
        let response = try await RunningServer.with(responder: Reflector()) { port in
            try await RawHTTPClient.exchange(
                "POST /api/things?x=1 HTTP/1.1\r\nHost: t\r\nX-Echo: hi\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
                port: port
            )
        }

        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.contains("x-echo: hi\r\n"))
        #expect(response.contains("content-length: 48\r\n"))
        #expect(response.hasSuffix(#"{"method":"POST","path":"/api/things","bytes":3}"#))
    }

    @Test("Two requests on one keep-alive connection are answered in order")
    func keepAliveAnswersInOrder() async throws {
        let response = try await RunningServer.with(responder: Reflector()) { port in
            try await RawHTTPClient.exchange(
                "GET /first HTTP/1.1\r\nHost: t\r\n\r\nGET /second HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                port: port
            )
        }

        let first = try #require(response.range(of: #""path":"/first""#))
        let second = try #require(response.range(of: #""path":"/second""#))
        #expect(first.lowerBound < second.lowerBound)
        #expect(response.components(separatedBy: "HTTP/1.1 200 OK").count == 3)
    }

    @Test("A body over the limit is answered 413 in the JSON error shape without reaching the responder")
    func oversizedBodyIsRefused() async throws {
        let body = String(repeating: "x", count: 2000)
        let response = try await RunningServer.with(responder: Reflector(), maxRequestBodyBytes: 1024) { port in
            try await RawHTTPClient.exchange(
                "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\nConnection: close\r\n\r\n\(body)",
                port: port
            )
        }

        #expect(response.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"))
        #expect(response.contains(#""code":413,"status":"RESOURCE_EXHAUSTED""#))
        #expect(response.contains("larger than the limit of 1024 bytes"))
        #expect(!response.contains(#""path":"/upload""#))
    }

    @Test("A chunked body that grows past the limit is answered 413 before the body ends")
    func oversizedChunkedBodyIsRefusedEarly() async throws {
        let chunk = String(repeating: "y", count: 600)
        let response = try await RunningServer.with(responder: Reflector(), maxRequestBodyBytes: 1024) { port in
            // The request never ends (no last chunk), so the answer can only come from the limit.
            try await RawHTTPClient.exchange(
                "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n",
                port: port,
                until: "\"details\":[]}}"
            )
        }

        #expect(response.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"))
        #expect(response.contains("connection: close"))
    }

    @Test("HEAD is answered with headers only")
    func headHasNoBody() async throws {
        let response = try await RunningServer.with(responder: Reflector()) { port in
            try await RawHTTPClient.exchange("HEAD /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", port: port)
        }

        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.hasSuffix("\r\n\r\n"))
    }

    @Test("shutDown makes run return")
    func shutDownEndsRun() async throws {
        let served = try await RunningServer.with(responder: Reflector()) { port in port }
        #expect(served > 0)
    }
}
