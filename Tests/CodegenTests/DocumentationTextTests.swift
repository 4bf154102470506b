import Codegen
import Testing

@Suite("Documentation text")
struct DocumentationTextTests {
    @Test(
        "The summary is the first sentence of the first paragraph, across wrapped lines",
        arguments: [
            (["Reads one tenant."], "Reads one tenant."),
            (
                ["Starts an empty conversation (e.g. before the first", "message). Answers it."],
                "Starts an empty conversation (e.g. before the first message)."
            ),
            (
                ["Queues a delivery, e.g. after a", "fix. The body may be empty."],
                "Queues a delivery, e.g. after a fix."
            ),
            (["No full stop"], "No full stop"),
            (["First paragraph", "", "Second paragraph."], "First paragraph"),
            ([], ""),
        ]
    )
    func summary(lines: [String], expected: String) {
        #expect(DocumentationText.summary(lines) == expected)
    }
}
