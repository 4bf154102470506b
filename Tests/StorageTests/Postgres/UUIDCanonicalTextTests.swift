import Foundation
import Testing

@testable import Storage

@Suite("UUID canonical text")
struct UUIDCanonicalTextTests {
    @Test("The lower-case form equals Foundation's, and parsing it (or the upper-case form) gives the UUID back")
    func roundTrip() {
        for _ in 0..<1000 {
            let uuid = UUID()
            #expect(uuid.lowercasedString == uuid.uuidString.lowercased())
            for text in [uuid.lowercasedString, uuid.uuidString] {
                let parsed = Array(text.utf8).withUnsafeBufferPointer { UUID(canonicalText: $0) }
                #expect(parsed == uuid)
            }
        }
        let edges = [
            "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
        ]
        for text in edges {
            let parsed = Array(text.utf8).withUnsafeBufferPointer { UUID(canonicalText: $0) }
            #expect(parsed?.lowercasedString == text)
        }
    }

    @Test(
        "Anything but the 36-byte canonical form is refused",
        arguments: [
            "",
            "0123456789abcdef0123456789abcdef",
            "01234567-89ab-cdef-0123-456789abcde",
            "01234567-89ab-cdef-0123-456789abcdef0",
            "01234567089ab-cdef-0123-456789abcdef",
            "01234567-89ab-cdef-0123-456789abcdeg",
            "{1234567-89ab-cdef-0123-456789abcdef",
            "01234567-89ab-cdef-0123-456789abcd f",
            "01234567-89ab-cdef-0123-456789abcdé",
            "0123456--89ab-cdef-0123-456789abcdef",
        ])
    func refused(_ text: String) {
        let parsed = Array(text.utf8).withUnsafeBufferPointer { UUID(canonicalText: $0) }
        #expect(parsed == nil, "\(text)")
    }
}
