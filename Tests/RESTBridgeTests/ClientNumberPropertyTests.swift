import Foundation
import PropertyBased
import RESTBridge
import RPCServer
import Testing

@testable import RESTBridge

/// Every number a client writes (JSON bodies, query strings, paths, headers) either binds to
/// exactly its value or is refused with 400 naming the field; nothing traps, whatever the
/// magnitude or spelling.
@Suite("Client-controlled numbers on the REST face")
struct ClientNumberPropertyTests {
    /// Number texts at and around every integer boundary, in the spellings JSON allows and
    /// some it does not.
    static let extremeLiterals: [String] = {
        let bounds: [String] = [
            "0", "-0", "1", "-1", "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295",
            "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
            "-9223372036854775809", "18446744073709551615", "18446744073709551616",
            String(repeating: "9", count: 400), "-" + String(repeating: "9", count: 400),
        ]
        let spellings = [
            "1e2", "1E9", "1e400", "-1e400", "1e-400", "2.0", "2.5", "1.0e1", "0.0000001e7", "2147483647.0",
            "9.223372036854775807e18", "1.8446744073709552e19", "123456789012345678901234567890e-20",
        ]
        return bounds + spellings
    }()

    @Test("Extreme JSON numbers into int32, int64 and Int32Value fields bind exactly or answer 400 naming the field")
    func extremeJSONNumbers() async throws {
        let echo = try EchoGateway()
        for literal in Self.extremeLiterals {
            for (field, asString) in [("repeat", false), ("big", false), ("big", true), ("limit", false)] {
                let value = asString ? "\"\(literal)\"" : literal
                let response = await echo.send("POST", "/v1/echo", json: #"{"\#(field)":\#(value)}"#)
                Self.expectBoundOrRefused(response, field: field, literal: literal)
            }
        }
    }

    @Test("Any numeric text into int32/int64 fields, in a body or a query string, binds or is refused, never traps")
    func anyNumericText() async throws {
        let echo = try EchoGateway()
        let digits = Gen.number.string(of: 1...40)
        await propertyCheck(
            count: 300, input: digits, Gen.int(in: 0...3), Gen.int(in: 0...2), Gen.int(in: -400...400)
        ) { digitText, sign, shape, exponent in
            var literal = ["", "-", "+", "--"][sign] + digitText
            if shape == 1 { literal += ".5" }
            if shape == 2 { literal += "e\(exponent)" }
            for field in ["repeat", "big"] {
                let body = await echo.send("POST", "/v1/echo", json: #"{"\#(field)":\#(literal)}"#)
                Self.expectBoundOrRefused(body, field: field, literal: literal)
                let query = await echo.send("GET", "/v1/echo/a?\(field)=\(literal)")
                Self.expectBoundOrRefused(query, field: field, literal: literal)
            }
        }
    }

    @Test("Any bytes in a percent-encoded path or query, and any Last-Event-ID, answer 2xx or 4xx, never trap")
    func percentEncodingAndLastEventID() async throws {
        let echo = try EchoGateway()
        await propertyCheck(count: 300, input: Gen.uint8().array(of: 0...24), Gen.uint8(in: 0...127).array(of: 0...40))
        {
            bytes, header in
            let encoded = bytes.map { byte -> String in
                switch byte % 4 {
                case 0: "%" + String(byte, radix: 16, uppercase: true)
                case 1: "%"
                case 2: "%" + String(byte >> 4, radix: 16)
                default: String(UnicodeScalar(UInt8(ascii: "a") + byte % 26))
                }
            }.joined()
            let path = await echo.send("GET", "/v1/echo/\(encoded)?tags=\(encoded)")
            #expect((200..<500).contains(path.status), "\(encoded): \(path.status) \(path.text)")
            let lastEventID = String(decoding: header.filter { $0 >= 0x20 && $0 < 0x7F }, as: UTF8.self)
            let stream = await echo.send(
                "GET", "/v1/echo/a/expand?repeat=1", headers: [("last-event-id", lastEventID)])
            #expect((200..<500).contains(stream.status), "\(lastEventID): \(stream.status)")
        }
    }

    @Test("Percent-decoding any text never traps and undoes encoding")
    func percentDecodingRoundTrip() async {
        await propertyCheck(count: 500, input: Gen.uint8().array(of: 0...32)) { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            let encoded = text.utf8.map { "%" + String($0 >> 4, radix: 16) + String($0 & 0xF, radix: 16) }.joined()
            #expect(PercentDecoding.decode(encoded) == text)
            _ = PercentDecoding.decode(String(decoding: bytes.map { $0 == 0 ? 0x25 : $0 }, as: UTF8.self))
        }
    }

    /// 200 with the field bound to exactly the literal's value, or 400 naming the field (or the
    /// place where the JSON breaks).
    private static func expectBoundOrRefused(_ response: HTTPResponse, field: String, literal: String) {
        switch response.status {
        case 200:
            // Bound: the echoed request carries exactly the literal's value (JSON renders int64
            // as a string and leaves zero out).
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
            let request = object?["request"] as? [String: Any]
            let bound = request?[field].map { "\($0)" } ?? "0"
            let expected = Double(literal.hasPrefix("+") ? String(literal.dropFirst()) : literal)
            #expect(
                expected != nil && Double(bound) == expected,
                "\(field)=\(literal) was bound as \(bound): \(response.text)")
        case 400:
            // Refused: naming the field, or, for text that is not JSON at all, where it breaks.
            #expect(
                response.text.contains(field) || response.text.contains("not valid JSON"),
                "\(field)=\(literal): \(response.text)")
        default:
            Issue.record("\(field)=\(literal): status \(response.status) \(response.text)")
        }
    }
}

@Suite("Integer literals")
struct IntegerLiteralTests {
    @Test(
        "A literal denotes an integer exactly when its decimal value is one",
        arguments: [
            ("0", true), ("-0", true), ("2.0", true), ("1e2", true), ("150e-1", true), ("1.50e1", true),
            ("0.0e-999", true), ("1e99999999999999999999", true), ("1.5", false), ("3e-400", false),
            ("34967781529292264235e-344", false), ("1e-99999999999999999999", false), ("10e-1", true),
            ("10e-2", false), ("1E+2", true),
        ]
    )
    func denotesInteger(literal: String, expected: Bool) {
        #expect(JSONShapeChecker.denotesInteger(literal) == expected)
    }
}
