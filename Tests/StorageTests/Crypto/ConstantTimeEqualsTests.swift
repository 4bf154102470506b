import Foundation
import Storage
import Testing

@Suite("Constant-time comparison")
struct ConstantTimeEqualsTests {
    @Test("Bytes and strings are equal only with the same length and every byte the same")
    func equality() {
        #expect(Secrets.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!Secrets.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!Secrets.constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(Secrets.constantTimeEquals("ten_abc", "ten_abc"))
        #expect(!Secrets.constantTimeEquals("ten_abc", "ten_abC"))
        #expect(!Secrets.constantTimeEquals("ten_abc", "ten_ab"))
        #expect(Secrets.constantTimeEquals("", ""))
        // A bridged or non-ASCII string compares by its UTF-8 bytes like any other.
        #expect(Secrets.constantTimeEquals(String(repeating: "é", count: 20), "éééééééééééééééééééé"))
        #expect(!Secrets.constantTimeEquals("é", "e\u{301}"))
    }

    @Test("A string is equal to itself and to a copy in other storage; one changed byte is not")
    func sharedStorage() {
        let key = "ten_" + String(repeating: "k", count: 43)
        let copy = String(decoding: Array(key.utf8), as: UTF8.self)
        let changed = String(key.dropLast()) + "K"
        #expect(Secrets.constantTimeEquals(key, key))
        #expect(Secrets.constantTimeEquals(key, copy))
        #expect(Secrets.constantTimeEquals(copy, key))
        #expect(!Secrets.constantTimeEquals(key, changed))
    }
}
