internal import Dispatch
internal import Glibc

/// Turns SIGINT and SIGTERM into one callback, so the server can stop cleanly.
final class ShutdownSignals {
    private let sources: [any DispatchSourceSignal]

    /// Starts listening for the signals.
    ///
    /// - Parameter onSignal: Called with the signal's name each time one arrives.
    init(onSignal: @escaping @Sendable (String) -> Void) {
        var sources: [any DispatchSourceSignal] = []
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { onSignal(name) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Stops listening.
    func cancel() {
        for source in self.sources {
            source.cancel()
        }
    }
}
