/// Why the generator refused an input.
///
/// Carries a code and a message naming the proto element at fault.
package struct CodegenError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem was found.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Wrapped: Sendable, Hashable {
            case invalidHTTPRule
            case unknownField
            case invalidOption
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// A `google.api.http` rule is malformed (no pattern, bad template, nested bindings).
        package static let invalidHTTPRule = Code(.invalidHTTPRule)
        /// A path variable or body names a field the request message lacks.
        package static let unknownField = Code(.unknownField)
        /// A generator option (`--metachat_opt`) is not understood.
        package static let invalidOption = Code(.invalidOption)

        package var description: String {
            switch self.wrapped {
            case .invalidHTTPRule: "invalid HTTP rule"
            case .unknownField: "unknown field"
            case .invalidOption: "invalid option"
            }
        }
    }

    /// The kind of problem.
    package var code: Code
    /// What is wrong and where.
    package var message: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The kind of problem.
    ///   - message: What is wrong and where.
    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(self.code): \(self.message)" }
}
