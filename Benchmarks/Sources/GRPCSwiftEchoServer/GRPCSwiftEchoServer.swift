// Reference grpc-swift-2 server for scripts/bench-rpc.sh: the fixture's Echo service
// (Tests/CodegenTests/Fixtures/echo.proto) on grpc-swift-2 + the NIO Posix HTTP/2 transport.
//
// Usage: grpc-swift-echo-server <port>   (0 picks a free port)
// Prints `listening <port>` once bound; stops when standard input closes or on SIGTERM/SIGINT
// (graceful shutdown: in-flight RPCs finish, then the process exits).
//
// One event loop thread: the benchmark pins the server to one core. Handlers run on Swift's
// global concurrency pool as grpc-swift-2 always does; that pool is sized from the machine's
// CPU count, not the process's affinity.

import Dispatch
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import NIOPosix

struct EchoService: Metachat_Fixture_V1_EchoService.SimpleServiceProtocol {
    private static func echo(_ request: Metachat_Fixture_V1_EchoRequest, index: Int) -> Metachat_Fixture_V1_EchoResponse {
        var response = Metachat_Fixture_V1_EchoResponse()
        response.text = request.text
        response.index = Int32(index)
        response.labels = request.labels
        response.request = request
        return response
    }

    func get(
        request: Metachat_Fixture_V1_EchoRequest,
        context: ServerContext
    ) async throws -> Metachat_Fixture_V1_EchoResponse {
        Self.echo(request, index: 0)
    }

    func update(
        request: Metachat_Fixture_V1_EchoRequest,
        context: ServerContext
    ) async throws -> Metachat_Fixture_V1_EchoResponse {
        Self.echo(request, index: 0)
    }

    func replace(
        request: Metachat_Fixture_V1_EchoRequest,
        context: ServerContext
    ) async throws -> Metachat_Fixture_V1_EchoResponse {
        Self.echo(request, index: 0)
    }

    func delete(
        request: Metachat_Fixture_V1_EchoRequest,
        context: ServerContext
    ) async throws -> Metachat_Fixture_V1_EchoResponse {
        Self.echo(request, index: 0)
    }

    func probe(
        request: Metachat_Fixture_V1_EchoRequest,
        context: ServerContext
    ) async throws -> Metachat_Fixture_V1_EchoResponse {
        Self.echo(request, index: 0)
    }

    func expand(
        request: Metachat_Fixture_V1_EchoRequest,
        response: RPCWriter<Metachat_Fixture_V1_EchoResponse>,
        context: ServerContext
    ) async throws {
        for index in 0..<Int(request.repeat) {
            var message = Self.echo(request, index: index)
            message.eventID = String(index)
            message.echoed = request.text
            try await response.write(message)
        }
    }

    func collect(
        request: RPCAsyncSequence<Metachat_Fixture_V1_EchoRequest, any Error>,
        context: ServerContext
    ) async throws -> Metachat_Fixture_V1_EchoResponse {
        var texts: [String] = []
        for try await message in request {
            texts.append(message.text)
        }
        var response = Metachat_Fixture_V1_EchoResponse()
        response.text = texts.joined(separator: " ")
        response.summary.count = Int32(texts.count)
        return response
    }

    func chat(
        request: RPCAsyncSequence<Metachat_Fixture_V1_EchoRequest, any Error>,
        response: RPCWriter<Metachat_Fixture_V1_EchoResponse>,
        context: ServerContext
    ) async throws {
        var index = 0
        for try await message in request {
            try await response.write(Self.echo(message, index: index))
            index += 1
        }
    }
}

@main
enum GRPCSwiftEchoServer {
    static func main() async throws {
        let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 0
        let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = GRPCServer(
            transport: .http2NIOPosix(
                address: .ipv4(host: "127.0.0.1", port: port),
                transportSecurity: .plaintext,
                eventLoopGroup: eventLoopGroup
            ),
            services: [EchoService()]
        )

        // Stop on SIGTERM/SIGINT and when standard input closes. `main` is main-actor isolated:
        // handlers that run on other threads must be explicitly nonisolated (`@Sendable`).
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
        }
        let signalSources = [SIGTERM, SIGINT].map { signalNumber in
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { @Sendable in server.beginGracefulShutdown() }
            source.resume()
            return source
        }
        let stdinWatcher = Thread {
            while readLine() != nil {}
            server.beginGracefulShutdown()
        }
        stdinWatcher.start()

        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await server.serve() }
            if let address = try await server.listeningAddress?.ipv4 {
                FileHandle.standardOutput.write(Data("listening \(address.port)\n".utf8))
            } else {
                FileHandle.standardError.write(Data("grpc-swift-echo-server: not listening\n".utf8))
                server.beginGracefulShutdown()
            }
        }
        // The server has stopped; the process ends with the event loop still up (shutting the group
        // down here races the transport's last close callbacks).
        withExtendedLifetime((signalSources, eventLoopGroup)) {}
    }
}
