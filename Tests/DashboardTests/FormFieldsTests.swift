import Dashboard
import Testing

/// Form bodies as browsers post them, and the bad ones a client can send.
@Suite("Form fields")
struct FormFieldsTests {
    @Test("Names and values are percent- and plus-decoded, in order, first value wins")
    func decodes() throws {
        let form = try FormFields(body: Array("email=a%40b.example&password=p+w%21&email=second&flag".utf8))
        #expect(form["email"] == "a@b.example")
        #expect(form["password"] == "p w!")
        #expect(form["flag"] == "")
        #expect(form["missing"] == nil)
        #expect(form.pairs.count == 4)
    }

    @Test("An empty body has no fields")
    func empty() throws {
        #expect(try FormFields(body: []).pairs.isEmpty)
    }

    /// A bad body and the words its error must contain.
    struct Bad: Sendable, CustomTestStringConvertible {
        var body: [UInt8]
        var message: String
        var testDescription: String { self.message }
    }

    static let bad: [Bad] = [
        Bad(body: Array("a=%4".utf8), message: "malformed percent escape"),
        Bad(body: Array("a=%zz".utf8), message: "malformed percent escape"),
        Bad(body: Array("a=%".utf8), message: "malformed percent escape"),
        Bad(body: Array("a=%C3%28".utf8), message: "not UTF-8"),
        Bad(body: [UInt8(ascii: "a"), UInt8(ascii: "="), 0xFF], message: "not UTF-8"),
        Bad(body: Array(repeating: UInt8(ascii: "a"), count: FormFields.maximumBytes + 1), message: "larger than"),
        Bad(
            body: Array((0...FormFields.maximumFields).map { "f\($0)=1" }.joined(separator: "&").utf8),
            message: "more than 64 fields"),
    ]

    @Test("Bad bodies are refused with a message saying what is wrong", arguments: bad)
    func refusesBadBodies(_ bad: Bad) {
        #expect {
            try FormFields(body: bad.body)
        } throws: { error in
            (error as? FormFieldsError)?.message.contains(bad.message) == true
        }
    }
}
