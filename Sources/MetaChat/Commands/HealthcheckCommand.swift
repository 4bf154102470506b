internal import ArgumentParser
internal import FoundationEssentials
internal import NIOCore
internal import NIOPosix

/// `metachat healthcheck [--url URL] [--timeout SECONDS]`: exits 0 when the server answers
/// `GET /api/health/ready` with 200, 1 otherwise; for container health checks in images
/// without curl.
///
/// Without `--url` it asks `http://127.0.0.1:$PORT/api/health/ready` (`PORT` as `serve` reads
/// it, default 3000).
struct HealthcheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 when the server is ready (GET /api/health/ready answers 200), 1 otherwise."
    )

    @Option(help: "The readiness URL (http:// only; default http://127.0.0.1:$PORT/api/health/ready).")
    var url: String?

    @Option(help: "Seconds to wait for the answer (1-60).")
    var timeout: Int = 5

    func run() async throws {
        guard (1...60).contains(self.timeout) else {
            throw ValidationError("--timeout must be from 1 to 60 seconds")
        }
        let port = ProcessInfo.processInfo.environment["PORT"].flatMap { Int($0) } ?? 3000
        let text = self.url ?? "http://127.0.0.1:\(port)/api/health/ready"
        guard let target = HealthcheckTarget(text) else {
            throw ValidationError("--url must look like http://host:port/path, not '\(text)'")
        }
        let status: Int
        do {
            status = try await target.status(timeout: .seconds(Int64(self.timeout)))
        } catch {
            var standardError = StandardError()
            print("metachat healthcheck: \(text): \(error)", to: &standardError)
            throw ExitCode(1)
        }
        print("\(text): \(status)")
        if status != 200 {
            throw ExitCode(1)
        }
    }
}

/// Where a health check goes: host, port and path of an `http://` URL.
struct HealthcheckTarget {
    var host: String
    var port: Int
    var path: String

    /// Reads `http://host[:port][/path]`; `[v6]` hosts are accepted.
    init?(_ url: String) {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        self.path = slash == rest.endIndex ? "/" : String(rest[slash...])
        var host = authority
        var port = 80
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let number = Int(after.dropFirst()), (1...65535).contains(number) else { return nil }
                port = number
            }
        } else if let colon = authority.lastIndex(of: ":") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                return nil
            }
            host = authority[..<colon]
            port = number
        }
        guard !host.isEmpty, !self.path.contains(where: { $0.isWhitespace || $0.isNewline }) else { return nil }
        self.host = String(host)
        self.port = port
    }

    /// Sends `GET path` and returns the response's status code.
    func status(timeout: TimeAmount) async throws -> Int {
        let group = MultiThreadedEventLoopGroup.singleton
        let response = group.next().makePromise(of: [UInt8].self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ResponseCollector(response: response))
                    }
                }
                .connect(host: self.host, port: self.port)
                .get()
        } catch {
            response.fail(error)
            throw error
        }
        let hostHeader = self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
        let request = "GET \(self.path) HTTP/1.1\r\nHost: \(hostHeader)\r\nConnection: close\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request)).get()
        // Closing ends the collector's wait with what arrived so far (nothing: "no answer").
        let deadline = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        defer { deadline.cancel() }
        let bytes = try await response.futureResult.get()
        // "HTTP/1.1 200 OK": the three digits after the first space.
        let line = String(decoding: bytes.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
        let parts = line.split(separator: " ", maxSplits: 2)
        guard !bytes.isEmpty else {
            throw HealthcheckError(description: "no answer within \(timeout.nanoseconds / 1_000_000_000) s")
        }
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw HealthcheckError(description: "the answer is not HTTP: \(line.prefix(80))")
        }
        return status
    }
}

/// A health check that did not get an HTTP answer.
struct HealthcheckError: Error, CustomStringConvertible {
    var description: String
}

/// Collects a response until the server closes the connection (or its status line is in).
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let response: EventLoopPromise<[UInt8]>
    private var bytes: [UInt8] = []
    private var finished = false

    init(response: EventLoopPromise<[UInt8]>) {
        self.response = response
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        // The status line is all a health check needs; a huge body is not read.
        if self.bytes.count < 1024 {
            self.bytes += buffer.readableBytesView.prefix(1024 - self.bytes.count)
        }
        if self.bytes.contains(UInt8(ascii: "\n")) {
            self.finish(.success(self.bytes))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.finish(.success(self.bytes))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.finish(.failure(error))
        context.close(promise: nil)
    }

    /// Completes the response once; later outcomes (the close after the status line) are dropped.
    private func finish(_ result: Result<[UInt8], any Error>) {
        guard !self.finished else { return }
        self.finished = true
        self.response.completeWith(result)
    }
}
