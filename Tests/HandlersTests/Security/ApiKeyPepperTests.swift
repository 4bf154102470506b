import Handlers
import Testing

@Suite("ApiKeyPepper")
struct ApiKeyPepperTests {
    @Test("64 hex digits become 32 bytes; other text of at least 32 bytes is taken as UTF-8")
    func accepted() throws {
        let hex = String(repeating: "0a", count: 32)
        #expect(try ApiKeyPepper(text: hex).bytes == [UInt8](repeating: 10, count: 32))
        let text = "correct horse battery staple, twice"
        #expect(try ApiKeyPepper(text: text).bytes == Array(text.utf8))
    }

    @Test("Fewer than 32 bytes is refused, and the message does not repeat the value")
    func refused() {
        for short in ["", "abcd", String(repeating: "ab", count: 16).dropLast(2).description, "short secret value"] {
            #expect(throws: ApiKeyPepper.Invalid.self) { try ApiKeyPepper(text: short) }
        }
        do {
            _ = try ApiKeyPepper(text: "hunter2")
        } catch {
            #expect(!String(describing: error).contains("hunter2"))
        }
    }
}
