import Codegen
import Foundation
import Testing

@Suite("JSON rendering")
struct JSONValueTests {
    @Test("Pretty text indents two spaces per level and keeps members in the order they were built")
    func prettyText() {
        let value: JSONValue = ["z": 1, "a": ["x": true, "list": [1, "two"], "empty": [:], "none": []], "n": .null]

        #expect(
            value.prettyText == """
                {
                  "z": 1,
                  "a": {
                    "x": true,
                    "list": [
                      1,
                      "two"
                    ],
                    "empty": {},
                    "none": []
                  },
                  "n": null
                }
                """
        )
        #expect(value.compactText == #"{"z":1,"a":{"x":true,"list":[1,"two"],"empty":{},"none":[]},"n":null}"#)
    }

    @Test("Strings escape quotes, backslashes and control characters and keep other text as is")
    func escaping() throws {
        let text = "quote \" backslash \\ newline \n tab \t bell \u{07} é 😀"
        let rendered = JSONValue.string(text).compactText

        #expect(rendered == #""quote \" backslash \\ newline \n tab \t bell \u0007 é 😀""#)
        let parsed = try JSONSerialization.jsonObject(with: Data("[\(rendered)]".utf8)) as? [String]
        #expect(parsed == [text])
    }

    @Test("setting replaces a member in place or appends a new one")
    func setting() {
        let value: JSONValue = ["a": 1, "b": 2]

        #expect(value.setting("a", 3) == ["a": 3, "b": 2])
        #expect(value.setting("c", 4) == ["a": 1, "b": 2, "c": 4])
        #expect(JSONValue.string("x").setting("a", 1) == "x")
    }
}
