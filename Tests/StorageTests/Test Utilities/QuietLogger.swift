import Logging

extension Logger {
    /// A logger that drops everything, for pools under test.
    static let quiet = Logger(label: "storage-tests", factory: { _ in SwiftLogNoOpLogHandler() })
}
