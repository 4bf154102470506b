import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A local HTTP server that speaks the streaming protocols of OpenAI's chat completions
/// (`POST /v1/chat/completions`, server-sent `chat.completion.chunk`s, usage in a final chunk,
/// `[DONE]`) and Anthropic's Messages API (`POST /v1/messages`, `message_start` …
/// `message_stop`), answering each request from a script or a closure, including the failures a
/// real provider shows: HTTP errors with `retry-after`, malformed chunks, truncated streams and
/// stalls. It records every request.
final class FakeModelServer: Sendable {
    /// The protocol it speaks.
    enum Dialect: Sendable {
        case openAI
        case anthropic
    }

    /// One scripted answer.
    enum Answer: Sendable {
        /// A well-formed stream of these text pieces, with usage (prompt, completion).
        case stream([String], usage: (prompt: Int, completion: Int) = (11, 7))
        /// These raw event-stream bytes, then the end of the body (`end`) or nothing more: the
        /// connection stays open and silent (a stall).
        case raw([String], end: Bool)
        /// This status with the provider's error body, and a `retry-after` header when given.
        case status(Int, retryAfter: String? = nil)
    }

    /// A request as it arrived.
    struct Request: Sendable {
        var path: String
        var headers: [String: String]
        var body: String

        /// The JSON body.
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(self.body.utf8)) as? [String: Any]) ?? [:]
        }

        /// The `messages` of the body as (role, content) pairs.
        var messages: [(role: String, content: String)] {
            ((self.json["messages"] as? [[String: Any]]) ?? []).map {
                (($0["role"] as? String) ?? "", ($0["content"] as? String) ?? "")
            }
        }

        /// The last user message's text.
        var question: String { self.messages.last { $0.role == "user" }?.content ?? "" }
    }

    private final class State: Sendable {
        let respond: @Sendable (Request) -> Answer
        let requests = Mutex<[Request]>([])

        init(respond: @escaping @Sendable (Request) -> Answer) {
            self.respond = respond
        }

        func answer(_ request: Request) -> Answer {
            self.requests.withLock { $0.append(request) }
            return self.respond(request)
        }
    }

    private let state: State
    private let channel: any Channel
    /// The base URL, `http://127.0.0.1:PORT/v1`.
    let baseURL: String
    /// The dialect.
    let dialect: Dialect

    /// The requests received, in order.
    var requests: [Request] { self.state.requests.withLock { $0 } }

    /// A server answering each request with `respond`.
    init(_ dialect: Dialect = .openAI, respond: @escaping @Sendable (Request) -> Answer) async throws {
        let state = State(respond: respond)
        self.state = state
        self.dialect = dialect
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(dialect: dialect, answer: { state.answer($0) }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.channel = server
        self.baseURL = "http://127.0.0.1:\(server.localAddress?.port ?? 0)/v1"
    }

    /// A server answering from `script` in order (the last answer repeats).
    convenience init(_ dialect: Dialect = .openAI, script: [Answer]) async throws {
        let remaining = LockedBox(script)
        try await self.init(dialect) { _ in
            remaining.withLock { script in
                script.count > 1 ? script.removeFirst() : (script.first ?? .status(500))
            }
        }
    }

    func close() async throws {
        try await self.channel.close()
    }

    /// A JSON string literal of `text`.
    static func quoted(_ text: String) -> String {
        let data =
            (try? JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])) ?? Data("[\"\"]".utf8)
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }

    /// The events of a well-formed stream of `pieces`.
    static func events(_ dialect: Dialect, pieces: [String], usage: (prompt: Int, completion: Int)) -> [String] {
        switch dialect {
        case .openAI:
            var events = [": keep-alive\n\n"]
            for piece in pieces {
                events.append(
                    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"fake-gpt\","
                        + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\(Self.quoted(piece))},\"finish_reason\":null}]}\n\n"
                )
            }
            events.append(
                "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"fake-gpt\","
                    + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n")
            events.append(
                "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"fake-gpt\",\"choices\":[],"
                    + "\"usage\":{\"prompt_tokens\":\(usage.prompt),\"completion_tokens\":\(usage.completion),"
                    + "\"total_tokens\":\(usage.prompt + usage.completion)}}\n\n")
            events.append("data: [DONE]\n\n")
            return events
        case .anthropic:
            var events = [
                "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
                    + "\"role\":\"assistant\",\"model\":\"fake-claude\",\"content\":[],\"usage\":{\"input_tokens\":\(usage.prompt),"
                    + "\"output_tokens\":1}}}\n\n",
                "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
                    + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
                "event: ping\ndata: {\"type\":\"ping\"}\n\n",
            ]
            for piece in pieces {
                events.append(
                    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                        + "\"delta\":{\"type\":\"text_delta\",\"text\":\(Self.quoted(piece))}}\n\n")
            }
            events.append("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n")
            events.append(
                "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
                    + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":\(usage.completion)}}\n\n")
            events.append("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
            return events
        }
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        // @unchecked: used on its channel's event loop only.
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let dialect: Dialect
        let answer: @Sendable (Request) -> Answer
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(dialect: Dialect, answer: @escaping @Sendable (Request) -> Answer) {
            self.dialect = dialect
            self.answer = answer
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                self.body = []
            case .body(let buffer):
                self.body += buffer.readableBytesView
            case .end:
                var headers: [String: String] = [:]
                for (name, value) in self.head?.headers ?? [:] { headers[name.lowercased()] = value }
                let request = Request(
                    path: self.head?.uri ?? "", headers: headers, body: String(decoding: self.body, as: UTF8.self))
                self.respond(self.answer(request), context: context)
            }
        }

        private func respond(_ answer: Answer, context: ChannelHandlerContext) {
            var headers = HTTPHeaders()
            switch answer {
            case .status(let code, let retryAfter):
                let text =
                    self.dialect == .openAI
                    ? "{\"error\":{\"message\":\"scripted failure\",\"type\":\"server_error\"}}"
                    : "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"scripted failure\"}}"
                headers.add(name: "content-type", value: "application/json")
                headers.add(name: "content-length", value: String(text.utf8.count))
                if let retryAfter { headers.add(name: "retry-after", value: retryAfter) }
                context.write(
                    self.wrapOutboundOut(
                        .head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: code), headers: headers))),
                    promise: nil)
                context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
                context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            case .stream(let pieces, let usage):
                self.stream(
                    FakeModelServer.events(self.dialect, pieces: pieces, usage: usage), end: true, context: context)
            case .raw(let chunks, let end):
                self.stream(chunks, end: end, context: context)
            }
        }

        private func stream(_ chunks: [String], end: Bool, context: ChannelHandlerContext) {
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "text/event-stream")
            headers.add(name: "cache-control", value: "no-cache")
            context.write(
                self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                promise: nil)
            for chunk in chunks {
                context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: chunk)))), promise: nil)
            }
            if end {
                context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
