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

    @Test(
        "From text it parses the canonical form to Foundation's value and refuses what Foundation's sscanf lets through"
    )
    func textAgreesWithFoundation() {
        // Foundation's UUID(uuidString:) reads each group with sscanf/strtoul, which take a sign,
        // a 0x prefix or a dash inside the last group: malformed ids it turns into some UUID.
        let laxInFoundation = [
            "+1234567-89ab-cdef-0123-456789abcdef", "0x234567-89ab-cdef-0123-456789abcdef",
            "01234567-89ab-cdef-0123-4567-9abcdef",
        ]
        for text in laxInFoundation {
            #expect(UUID(uuidString: text) != nil, "Foundation no longer accepts \(text): update this table")
            #expect(UUID(canonicalText: text) == nil, "\(text)")
        }
        var texts = [
            "", " ", "01234567-89AB-cdef-0123-456789abcdef", " 01234567-89ab-cdef-0123-456789abcdef",
            "01234567-89ab-cdef-0123-456789abcdef ", "01234567-89ab-cdef-0123-456789abcdé",
        ]
        let alphabet = Array("0123456789abcdefABCDEFg- x+")
        for _ in 0..<2000 {
            var characters = Array(UUID().uuidString)
            // One to three characters changed, or none.
            for _ in 0..<Int.random(in: 0...3) {
                characters[Int.random(in: 0..<characters.count)] = alphabet.randomElement() ?? "x"
            }
            texts.append(String(characters))
        }
        for text in texts {
            let bytes = Array(text.utf8)
            let canonical =
                bytes.count == 36
                && bytes.indices.allSatisfy { index in
                    [8, 13, 18, 23].contains(index)
                        ? bytes[index] == UInt8(ascii: "-")
                        : Character(Unicode.Scalar(bytes[index])).isHexDigit
                }
            #expect((UUID(canonicalText: text) != nil) == canonical, "\(text)")
            if canonical {
                #expect(UUID(canonicalText: text) == UUID(uuidString: text), "\(text)")
            }
            #expect(UUID(canonicalText: text[...]) == UUID(canonicalText: text), "\(text) as a substring")
        }
    }
}
