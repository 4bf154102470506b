import Dashboard
import Storage
import Testing

/// scrypt password hashes: the right password verifies, anything else does not, and stored text
/// that is not a hash this code made never verifies.
@Suite("Password hashes")
struct PasswordHashTests {
    /// A cheap cost for tests; the server's default is ``Scrypt/Cost/interactive``.
    static let cost = Scrypt.Cost(logN: 10, blockSize: 8, parallelism: 1)

    @Test("The password verifies; another, or a changed hash, does not")
    func verifies() throws {
        let hash = try PasswordHash.make(password: "correct horse battery", cost: Self.cost)
        #expect(hash.text.hasPrefix("scrypt$10$8$1$"))
        #expect(hash.verify("correct horse battery"))
        #expect(!hash.verify("correct horse batterY"))
        #expect(!hash.verify(""))
        var tampered = Array(hash.text.utf8)
        tampered[tampered.count - 1] =
            tampered[tampered.count - 1] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        #expect(!PasswordHash(stored: String(decoding: tampered, as: UTF8.self)).verify("correct horse battery"))
    }

    @Test("Two hashes of one password differ (random salt)")
    func salted() throws {
        let first = try PasswordHash.make(password: "correct horse battery", cost: Self.cost)
        let second = try PasswordHash.make(password: "correct horse battery", cost: Self.cost)
        #expect(first.text != second.text)
    }

    @Test(
        "Malformed stored text never verifies",
        arguments: [
            "", "scrypt", "scrypt$10$8$1$$", "bcrypt$10$8$1$00$00",
            "scrypt$99$8$1$0011223344556677$"
                + String(repeating: "ab", count: 32),
            "scrypt$10$8$1$zz11223344556677$" + String(repeating: "ab", count: 32),
            "scrypt$10$8$1$0011223344556677$abc",
            "scrypt$-1$8$1$0011223344556677$" + String(repeating: "ab", count: 32),
            "scrypt$23$8$1$0011223344556677$" + String(repeating: "ab", count: 32),
        ])
    func malformed(_ text: String) {
        #expect(!PasswordHash(stored: text).verify("anything at all"))
    }

    @Test("Passwords shorter than 12 characters or longer than 1024 bytes are refused")
    func rules() {
        #expect(throws: PasswordRuleViolation.self) { try PasswordHash.make(password: "short", cost: Self.cost) }
        #expect(throws: PasswordRuleViolation.self) {
            try PasswordHash.make(password: String(repeating: "x", count: 1025), cost: Self.cost)
        }
        #expect(!PasswordHash(stored: "scrypt$10$8$1$00$00").verify(String(repeating: "x", count: 1025)))
    }

    @Test("scrypt matches RFC 7914's test vector (password, NaCl, N=1024, r=8, p=16)")
    func rfcVector() throws {
        let key = try #require(
            Scrypt.derive(
                password: Array("password".utf8), salt: Array("NaCl".utf8),
                cost: Scrypt.Cost(logN: 10, blockSize: 8, parallelism: 16), length: 64))
        #expect(
            Digest.hex(key)
                == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }
}
