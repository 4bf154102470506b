/// A request value that does not fit the schema, naming the field it was found in.
package struct FieldProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field path as the client wrote it, e.g. `settings.llm.temperature` or `tags[2]`.
    package var field: String
    /// What is wrong, as a sentence that starts after the field name.
    package var problem: String

    /// Creates a problem.
    ///
    /// - Parameters:
    ///   - field: The field path.
    ///   - problem: What is wrong.
    package init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    package var description: String { "Field '\(self.field)' \(self.problem)." }
}
