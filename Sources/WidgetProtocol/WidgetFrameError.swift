/// Why a widget frame was refused: the field (`frame` for the whole) and what is wrong with it.
public struct WidgetFrameError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field, as the frame names it (`clientId`, `text`, …), or `frame`.
    public var field: String
    /// What is wrong, e.g. `is required`.
    public var problem: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - field: The field.
    ///   - problem: What is wrong with it.
    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    /// `"<field> <problem>"`, e.g. `text is blank`.
    public var description: String { "\(self.field) \(self.problem)" }
}
