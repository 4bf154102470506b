internal import ArgumentParser
internal import FoundationEssentials
internal import Histogram
internal import RPCServer
internal import Synchronization

/// `metachat bench`: a binary gRPC load client (N connections × M concurrent streams) that
/// prints throughput and an HdrHistogram of latencies.
///
/// It is schema-agnostic: the request is a protobuf message whose field 1 is a string of
/// `--payload` bytes (the echo fixture's `EchoRequest.text`) and, in stream mode, field 2 the
/// number of messages to stream back (`EchoRequest.repeat`).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Drive a gRPC server with unary or server-streaming load and report latency."
    )

    @Option(help: "Server address.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port: Int
    @Option(help: "HTTP/2 connections.") var connections = 8
    @Option(help: "Concurrent streams per connection.") var streams = 32
    @Option(help: "Total calls.") var requests = 200_000
    @Option(help: "Bytes of payload text per request.") var payload = 16
    @Option(help: "unary or stream.") var mode = "unary"
    @Option(name: .customLong("repeat"), help: "Messages per server stream (stream mode).") var streamMessages = 1000
    @Option(help: "Unary method path.") var unaryMethod = "/metachat.fixture.v1.EchoService/Get"
    @Option(help: "Server-streaming method path.") var streamMethod = "/metachat.fixture.v1.EchoService/Expand"

    func validate() throws {
        guard self.connections > 0, self.streams > 0, self.requests > 0, self.payload >= 0 else {
            throw ValidationError("--connections, --streams and --requests must be positive, --payload not negative.")
        }
        guard self.mode == "unary" || self.mode == "stream" else {
            throw ValidationError("--mode must be unary or stream, not '\(self.mode)'.")
        }
    }

    func run() async throws {
        let streaming = self.mode == "stream"
        let path = streaming ? self.streamMethod : self.unaryMethod
        let parts = path.split(separator: "/")
        guard parts.count == 2 else {
            throw ValidationError("Method paths look like /package.Service/Method, not '\(path)'.")
        }
        let method = MethodDescriptor(
            service: String(parts[0]),
            method: String(parts[1]),
            kind: streaming ? .serverStreaming : .unary
        )
        let request = Self.encodeRequest(
            text: String(repeating: "x", count: self.payload),
            repeatCount: streaming ? self.streamMessages : 0
        )
        var transports: [HTTP2ClientTransport] = []
        for _ in 0..<self.connections {
            transports.append(try await HTTP2ClientTransport.connect(host: self.host, port: self.port))
        }
        let tickets = TicketCounter(limit: self.requests)
        let clock = ContinuousClock()
        let started = clock.now
        let results = try await withThrowingTaskGroup(of: WorkerResult.self) { group in
            for transport in transports {
                for _ in 0..<self.streams {
                    group.addTask {
                        var result = WorkerResult()
                        while tickets.take() {
                            let callStart = clock.now
                            do {
                                if streaming {
                                    result.messages += try await transport.call(
                                        method,
                                        metadata: [:],
                                        options: .defaults,
                                        requests: { try await $0.write(request) },
                                        responses: { responses in
                                            var count = 0
                                            for try await _ in responses { count += 1 }
                                            return count
                                        }
                                    )
                                } else {
                                    _ = try await transport.unary(
                                        method, request: request, metadata: [:], options: .defaults)
                                    result.messages += 1
                                }
                                let elapsed = clock.now - callStart
                                let (seconds, attoseconds) = elapsed.components
                                _ = result.latencies.record(
                                    UInt64(seconds) * 1_000_000 + UInt64(attoseconds / 1_000_000_000_000))
                            } catch {
                                result.failures += 1
                            }
                        }
                        return result
                    }
                }
            }
            var merged = WorkerResult()
            for try await result in group {
                merged.merge(result)
            }
            return merged
        }
        let seconds = Self.seconds(clock.now - started)
        for transport in transports {
            await transport.close()
        }
        let calls = Double(results.latencies.totalCount)
        print("mode \(self.mode), \(self.connections) connections x \(self.streams) streams, payload \(self.payload) B")
        print("calls      \(Int(calls)) ok, \(results.failures) failed in \(Self.hundredths(seconds)) s")
        print("calls/s    \(Int((calls / seconds).rounded()))")
        print("msgs/s     \(Int((Double(results.messages) / seconds).rounded()))")
        let h = results.latencies
        print(
            "latency µs p50 \(h.valueAtPercentile(50)) p90 \(h.valueAtPercentile(90)) "
                + "p99 \(h.valueAtPercentile(99)) max \(h.max)"
        )
        // One JSON line last, for scripts (scripts/bench-rpc.sh reads it).
        print(
            #"{"requests":\#(Int(calls)),"failed":\#(results.failures),"seconds":\#(seconds),"messages":\#(results.messages)}"#
        )
        if results.failures > 0 {
            throw ExitCode.failure
        }
    }

    /// `value` rounded to two decimals, e.g. `12.50`.
    static func hundredths(_ value: Double) -> String {
        let scaled = Int((value * 100).rounded())
        let fraction = scaled % 100
        return "\(scaled / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Field 1 (string) and, when non-zero, field 2 (varint): an `EchoRequest`.
    static func encodeRequest(text: String, repeatCount: Int) -> [UInt8] {
        var bytes: [UInt8] = [0x0A]
        Self.appendVarint(UInt64(text.utf8.count), to: &bytes)
        bytes += text.utf8
        if repeatCount > 0 {
            bytes.append(0x10)
            Self.appendVarint(UInt64(repeatCount), to: &bytes)
        }
        return bytes
    }

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Hands out call tickets until the total is reached, shared by every worker.
final class TicketCounter: Sendable {
    private let issued = Mutex(0)
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes one ticket; `false` once all are taken.
    func take() -> Bool {
        self.issued.withLock { issued in
            guard issued < self.limit else { return false }
            issued += 1
            return true
        }
    }
}

/// What one load worker measured.
struct WorkerResult: Sendable {
    /// Call latencies in microseconds.
    var latencies = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    /// Messages received.
    var messages = 0
    /// Calls that failed.
    var failures = 0

    mutating func merge(_ other: WorkerResult) {
        self.latencies.add(other.latencies)
        self.messages += other.messages
        self.failures += other.failures
    }
}
