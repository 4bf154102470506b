// Reference Hummingbird 2 server for scripts/bench-rest.sh: the REST form of the echo fixture's
// `Get` (`GET /v1/echo/{text}`) answering `{"text":"<text>","request":{"text":"<text>"}}` as
// `application/json`, the document our echo-server's REST bridge produces for the same route
// (proto3 JSON leaves out fields with default values; the fixture echoes the request it got).
//
// Usage: hummingbird-json-server <port>   (0 picks a free port)
// Prints `listening <port>` once bound; stops when standard input closes or on SIGTERM/SIGINT
// (graceful shutdown through the service group).
//
// Written the way a Hummingbird user would: a `Codable` response type returned from the route
// closure, encoded by the request context's response encoder (a new `JSONEncoder` per request,
// as our bridge encodes the protobuf message to JSON per request; the key order of its output is
// unspecified on Linux, which JSON does not give a meaning to). One event loop thread: the
// benchmark pins the server to one core; route closures run on Swift's global concurrency pool as
// Hummingbird's HTTP/1.1 server always does.

import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The JSON document of one echo: the fields of the fixture's `EchoResponse` that `Get` sets.
struct EchoDocument: ResponseEncodable {
    /// The echoed request: only its text is set.
    struct Request: Codable {
        let text: String
    }

    let text: String
    let request: Request
}

@main
enum HummingbirdJSONServer {
    static func main() async throws {
        let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 0
        var logger = Logger(label: "hummingbird-json-server")
        logger.logLevel = .warning

        let router = Router()
        router.get("/v1/echo/:text") { _, context -> EchoDocument in
            let text = try context.parameters.require("text")
            let decoded = text.removingPercentEncoding ?? text
            return EchoDocument(text: decoded, request: .init(text: decoded))
        }
        let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let application = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                if let boundPort = channel.localAddress?.port {
                    FileHandle.standardOutput.write(Data("listening \(boundPort)\n".utf8))
                } else {
                    FileHandle.standardError.write(Data("hummingbird-json-server: no local address\n".utf8))
                }
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger
        )
        let serviceGroup = ServiceGroup(
            configuration: .init(
                services: [application],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        let stdinWatcher = Thread {
            while readLine() != nil {}
            Task { await serviceGroup.triggerGracefulShutdown() }
        }
        stdinWatcher.start()
        try await serviceGroup.run()
        withExtendedLifetime(eventLoopGroup) {}
    }
}
