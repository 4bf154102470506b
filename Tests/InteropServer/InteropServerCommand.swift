import Dispatch
import Glibc
import Logging
import RPCServer

/// Serves gRPC's interop test service (`grpc.testing.TestService`, ``InteropTestService``) over
/// HTTP/2 without TLS on `127.0.0.1`, for the interop cases in `Tests/Interop` and the official
/// interop clients.
///
/// Usage: `interop-server --port N` (also `--port=N`; 0 or none picks a free port;
/// `--use_tls=false` is accepted, as the official clients' scripts pass it). Prints
/// `listening <port>` on one line once it accepts connections; stops when standard input
/// closes, or on SIGTERM.
@main
enum InteropServerCommand {
    /// What the command line asks for.
    struct Options {
        /// The port to listen on; 0 picks a free one.
        var port = 0
    }

    /// A command line this server does not understand.
    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    static func main() async throws {
        let options: Options
        do {
            options = try Self.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            Self.writeLine("interop-server: \(error)", to: STDERR_FILENO)
            Self.writeLine("usage: interop-server [--port N] [--use_tls=false]", to: STDERR_FILENO)
            exit(64)
        }
        var logger = Logger(label: "interop-server")
        logger.logLevel = .warning
        var router = RPCRouter()
        InteropTestService().registerMethods(with: &router)
        let server = RPCServer(
            configuration: RPCServerConfiguration(host: "127.0.0.1", port: options.port, maxRequestBodyBytes: 1024),
            router: router,
            responder: NotFoundResponder(),
            logger: logger
        )
        // A blocking read, so on a thread of its own rather than the cooperative pool.
        DispatchQueue(label: "interop-server.stdin").async {
            while readLine() != nil {}
            server.shutDown()
        }
        try await server.run { port in
            Self.writeLine("listening \(port)", to: STDOUT_FILENO)
        }
    }

    /// Reads `--port N`, `--port=N` and `--use_tls=false`.
    ///
    /// - Parameter arguments: The arguments after the program name.
    /// - Returns: The options.
    /// - Throws: ``UsageError`` for anything else, a port outside 0...65535, or TLS.
    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            let (name, inlineValue) = Self.split(argument)
            switch name {
            case "--port":
                guard let text = inlineValue ?? remaining.popFirst(), let port = Int(text), (0...65535).contains(port)
                else {
                    throw UsageError(description: "--port needs a number from 0 to 65535")
                }
                options.port = port
            case "--use_tls":
                guard inlineValue ?? remaining.popFirst() == "false" else {
                    throw UsageError(description: "only --use_tls=false is supported (the server has no TLS)")
                }
            default:
                throw UsageError(description: "unknown argument '\(argument)'")
            }
        }
        return options
    }

    /// `--name=value` as its name and value; any other argument as itself with no value.
    private static func split(_ argument: String) -> (String, String?) {
        guard let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    /// Writes one line straight to a descriptor, unbuffered. Not through stdio: flushing its
    /// streams would wait for stdin's lock, which the watcher holds while it reads.
    private static func writeLine(_ text: String, to descriptor: Int32) {
        var line = text + "\n"
        line.withUTF8 { bytes in _ = write(descriptor, bytes.baseAddress, bytes.count) }
    }
}
