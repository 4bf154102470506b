import Synchronization

/// A value shared between tasks and closures in tests.
final class LockedBox<Value: Sendable>: Sendable {
    private let state: Mutex<Value>

    init(_ value: Value) {
        self.state = Mutex(value)
    }

    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R {
        self.state.withLock { body(&$0) }
    }

    var value: Value { self.withLock { $0 } }
}
