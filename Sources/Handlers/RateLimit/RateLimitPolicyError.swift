/// A rate-limit environment variable has a value the server cannot use.
package struct RateLimitPolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The environment variable's name, e.g. `RATE_LIMIT_MAX_REQUESTS`.
    package var variable: String
    /// What is wrong with its value.
    package var problem: String

    /// Creates the error.
    ///
    /// - Parameters:
    ///   - variable: The environment variable's name.
    ///   - problem: What is wrong with its value.
    package init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    package var description: String { "\(self.variable) \(self.problem)" }
}
