import Handlers
import Synchronization

/// A ``KeyChangeListener`` that remembers every key id it was told about, in order.
final class RecordingKeyChangeListener: KeyChangeListener {
    private let recorded = Mutex<[String]>([])

    /// The key ids announced so far.
    var keyIDs: [String] { self.recorded.withLock { $0 } }

    func keyChanged(keyID: String) async {
        self.recorded.withLock { $0.append(keyID) }
    }
}
