package import NIOCore
internal import NIOEmbedded
internal import RPCServer

#if canImport(Glibc)
    private import Glibc
#endif

/// Feeds a fuzz input to the server as one client connection: the bytes go into the real
/// connection pipeline (``RPCServer/installConnectionHandlers(on:)``: idle timer, protocol
/// sniffer, then HTTP/1.1 or nghttp2) on an `EmbeddedChannel`, and the event loop runs until
/// nothing is left to do after every read.
///
/// Everything happens on the calling thread and on the loop's virtual clock, so an input always
/// takes the same path: no sockets, no sleeping, no timer outlives the input. After the last
/// read the client disconnects and virtual time runs 48 hours on, which ends every sleep and
/// timer; the harness then checks that no handler task is still running.
package struct ConnectionHarness: Sendable {
    /// How an input is delivered; decoded from the input's first byte.
    package struct Plan: Sendable {
        /// Bytes per read; 0 delivers the input in one read.
        package var chunkSize: Int
        /// Virtual time that passes after each read (and once more before the disconnect).
        package var pause: TimeAmount
        /// Response bytes the client reads before it stops reading.
        package var readBudget: Int

        /// The plan a control byte selects: bits 0–5 are the chunk size (0: one read),
        /// bits 6–7 the pause after each read: none, 1 ms, 300 ms or 2 s.
        package init(controlByte: UInt8) {
            self.chunkSize = Int(controlByte & 0x3F)
            let pauses: [TimeAmount] = [.zero, .milliseconds(1), .milliseconds(300), .seconds(2)]
            self.pause = pauses[Int(controlByte >> 6)]
            self.readBudget = 256 * 1024
        }
    }

    /// What the connection did with an input.
    package struct Outcome: Sendable {
        /// What the client read (kept only when tracing).
        package var received: [UInt8]
        /// Bytes the server wrote.
        package var bytesWritten: Int
        /// Whether the server closed the connection before the client went away.
        package var serverClosed: Bool
    }

    /// Virtual time an input may pass in total before the disconnect. The HTTP/1.1 handler
    /// times the request head against the real clock (`NIODeadline.now()`), which does not move
    /// with the virtual one; past its 30-second timeout the two would disagree.
    private static let maxPause = TimeAmount.seconds(20)

    private let stack: EchoStack

    /// Whether `METACHAT_FUZZ_TRACE` is set: each input's response is printed (escaped), to see
    /// what an input does when reproducing a finding or writing seeds.
    private static let tracing = getenv("METACHAT_FUZZ_TRACE") != nil

    private static func trace(_ outcome: Outcome) {
        var text = ""
        for byte in outcome.received.prefix(4096) {
            switch byte {
            case 0x20...0x7E: text.unicodeScalars.append(Unicode.Scalar(byte))
            case 0x0A: text += "\\n\n"
            case 0x0D: text += "\\r"
            default: text += "\\x" + String(byte, radix: 16)
            }
        }
        print("--- server wrote \(outcome.bytesWritten) bytes, closed: \(outcome.serverClosed)\n\(text)")
    }

    /// Creates a harness serving `stack`.
    package init(stack: EchoStack) {
        self.stack = stack
    }

    /// Runs one input.
    ///
    /// - Parameters:
    ///   - bytes: What the client sends.
    ///   - plan: How it is delivered.
    /// - Returns: What the server did.
    package func run(_ bytes: [UInt8], plan: Plan) -> Outcome {
        let loop = EmbeddedEventLoop()
        // The loop's clock starts at zero; start it at the real clock's reading so that code
        // mixing loop timers with `NIODeadline.now()` sees the two agree.
        loop.advanceTime(to: .now())
        let outcome = GlobalJobs.routing(to: loop) {
            let outcome = self.exchange(bytes, plan: plan, loop: loop)
            // Everything the connection started ends here: cancelled sleeps, heartbeats,
            // timers of a closed connection.
            loop.advanceTime(by: .hours(48))
            return outcome
        }
        precondition(
            self.stack.server.runningHandlerTasks == 0,
            "\(self.stack.server.runningHandlerTasks) handler task(s) still running after the connection closed"
        )
        return outcome
    }

    private func exchange(_ bytes: [UInt8], plan: Plan, loop: EmbeddedEventLoop) -> Outcome {
        let channel = EmbeddedChannel(loop: loop)
        let budget = ClientReadBudget(budget: plan.readBudget, keepsBytes: Self.tracing)
        do {
            // A loopback peer: the REST gateway believes its forwarding headers, so those are
            // parsed too.
            let peer = try SocketAddress(ipAddress: "127.0.0.1", port: 50_123)
            channel.remoteAddress = peer
            try channel.pipeline.syncOperations.addHandler(budget)
            try self.stack.server.installConnectionHandlers(on: channel)
            _ = channel.connect(to: peer)
        } catch {
            preconditionFailure("The connection pipeline could not be set up: \(error)")
        }
        loop.run()

        var paused = TimeAmount.zero
        var serverClosed = false
        let chunkSize = plan.chunkSize == 0 ? max(1, bytes.count) : plan.chunkSize
        var start = 0
        while start < bytes.count {
            guard channel.isActive else {
                serverClosed = true
                break
            }
            let end = min(bytes.count, start + chunkSize)
            // An error here is the server's own answer to bad input (it has closed, or will).
            _ = try? channel.writeInbound(ByteBuffer(bytes: bytes[start..<end]))
            loop.run()
            start = end
            if plan.pause > .zero, paused + plan.pause <= Self.maxPause {
                paused = paused + plan.pause
                loop.advanceTime(by: plan.pause)
            }
        }
        if plan.pause > .zero, paused + plan.pause <= Self.maxPause {
            loop.advanceTime(by: plan.pause)
        }
        serverClosed = serverClosed || !channel.isActive
        // The client goes away.
        _ = channel.close()
        loop.run()
        _ = try? channel.finish(acceptAlreadyClosed: true)
        loop.run()
        let outcome = Outcome(received: budget.received, bytesWritten: budget.bytesWritten, serverClosed: serverClosed)
        if Self.tracing {
            Self.trace(outcome)
        }
        return outcome
    }
}
