import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A local HTTP server speaking OpenAI's `POST /v1/embeddings` that answers from a script: each
/// request takes the next scripted answer (the last one repeats), so a test can make the real
/// client meet 429s, 500s, bad JSON and wrong vector counts. It records the request bodies.
final class ScriptedEmbeddingServer: Sendable {
    /// One scripted answer.
    enum Answer: Sendable {
        /// 200 with one `dimensions`-long vector per input (the n-th input's vector is all n+1).
        case vectors(dimensions: Int)
        /// This status with an OpenAI error body.
        case status(Int)
        /// 200 with this body.
        case body(String)
        /// 302 to this location.
        case redirect(String)
    }

    /// The script and what arrived, shared with the connections' handlers.
    private final class State: Sendable {
        let script: Mutex<[Answer]>
        let bodies = Mutex<[String]>([])

        init(_ script: [Answer]) {
            self.script = Mutex(script)
        }

        func next(_ body: [UInt8]) -> Answer {
            self.bodies.withLock { $0.append(String(decoding: body, as: UTF8.self)) }
            return self.script.withLock { script in
                script.count > 1 ? script.removeFirst() : (script.first ?? .status(500))
            }
        }
    }

    private let state: State
    private let channel: any Channel

    /// The base URL, `http://127.0.0.1:PORT/v1`.
    let baseURL: String

    /// The request bodies received, in order.
    var bodies: [String] { self.state.bodies.withLock { $0 } }

    init(_ script: [Answer]) async throws {
        let state = State(script)
        self.state = state
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(next: { state.next($0) }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.channel = server
        self.baseURL = "http://127.0.0.1:\(server.localAddress?.port ?? 0)/v1"
    }

    func close() async throws {
        try await self.channel.close()
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked: used on its channel's event loop only.
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let next: @Sendable ([UInt8]) -> Answer
        var body: [UInt8] = []

        init(next: @escaping @Sendable ([UInt8]) -> Answer) {
            self.next = next
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head:
                self.body = []
            case .body(let buffer):
                self.body += buffer.readableBytesView
            case .end:
                let inputs =
                    ((try? JSONSerialization.jsonObject(with: Data(self.body)) as? [String: Any])?["input"] as? [Any])?
                    .count ?? 0
                let (status, text): (Int, String)
                let answer = self.next(self.body)
                switch answer {
                case .vectors(let dimensions):
                    let data = (0..<inputs).map { index in
                        let vector = Array(repeating: "\(index + 1)", count: dimensions).joined(separator: ",")
                        return "{\"object\":\"embedding\",\"index\":\(index),\"embedding\":[\(vector)]}"
                    }
                    status = 200
                    text = "{\"object\":\"list\",\"data\":[\(data.joined(separator: ","))],\"model\":\"m\"}"
                case .status(let code):
                    status = code
                    text = "{\"error\":{\"message\":\"scripted\",\"type\":\"server_error\"}}"
                case .body(let body):
                    status = 200
                    text = body
                case .redirect:
                    status = 302
                    text = ""
                }
                var headers = HTTPHeaders()
                if case .redirect(let location) = answer {
                    headers.add(name: "location", value: location)
                }
                headers.add(name: "content-type", value: "application/json")
                headers.add(name: "content-length", value: String(text.utf8.count))
                context.write(
                    self.wrapOutboundOut(
                        .head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers))),
                    promise: nil)
                context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
                context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
