import Logging

extension Logger {
    /// A logger that drops everything, for pools and services under test.
    static let quiet = Logger(label: "handlers-tests", factory: { _ in SwiftLogNoOpLogHandler() })
}
