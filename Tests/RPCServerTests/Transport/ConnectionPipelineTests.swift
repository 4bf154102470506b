import Logging
import NIOCore
import NIOEmbedded
import RPCServer
import Testing

@Suite("The connection pipeline on an in-memory channel")
struct ConnectionPipelineTests {
    /// Answers every request with 404.
    private static func server() -> RPCServer {
        RPCServer(
            configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0, maxRequestBodyBytes: 1024),
            responder: NotFoundResponder(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
    }

    /// Feeds `request` to a channel carrying the server's connection pipeline and returns what
    /// the server wrote, after the client disconnected.
    private static func exchange(_ request: String, with server: RPCServer) throws -> [UInt8] {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        try server.installConnectionHandlers(on: channel)
        _ = channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 50_000))
        try channel.writeInbound(ByteBuffer(string: request))
        loop.run()
        var answer: [UInt8] = []
        while let part = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = part else { continue }
            answer += buffer.readableBytesView
        }
        _ = channel.close()
        loop.run()
        _ = try channel.finish(acceptAlreadyClosed: true)
        return answer
    }

    @Test("The handlers the listener installs answer an HTTP/1.1 request on any channel")
    func answersHTTP1() throws {
        let server = Self.server()

        let answer = try Self.exchange("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n", with: server)

        #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 404 Not Found\r\n"))
    }

    @Test("The client preface selects HTTP/2: the server answers with its SETTINGS")
    func selectsHTTP2() throws {
        let server = Self.server()

        let answer = try Self.exchange("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", with: server)

        // A SETTINGS frame header: type 0x4 on stream 0.
        #expect(answer.count >= 9 && answer[3] == 0x04 && answer[5...8].allSatisfy { $0 == 0 })
    }

    @Test("No handler task is counted as running once the connection has closed")
    func handlerTasksEnd() throws {
        let server = Self.server()

        _ = try Self.exchange("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n", with: server)

        #expect(server.runningHandlerTasks == 0)
    }
}
