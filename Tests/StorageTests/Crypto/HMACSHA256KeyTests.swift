import Testing

@testable import Storage

@Suite("Prepared HMAC-SHA256 keys")
struct HMACSHA256KeyTests {
    @Test("A prepared key gives the same MAC as the one-shot HMAC, for any message")
    func matchesOneShot() throws {
        let pepper = Secrets.randomBytes(32)
        let key = try #require(HMACSHA256Key(pepper))
        for length in [0, 1, 47, 63, 64, 65, 1000] {
            let message = Secrets.randomBytes(length)
            #expect(key.authenticationCode(for: message) == Secrets.hmacSHA256(message, key: pepper))
        }
    }

    @Test("RFC 4231 test case 2: key \"Jefe\", message \"what do ya want for nothing?\"")
    func knownAnswer() throws {
        let key = try #require(HMACSHA256Key(Array("Jefe".utf8)))
        let code = key.authenticationCode(for: "what do ya want for nothing?".utf8)
        #expect(Digest.hex(code) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("Concurrent use of one prepared key gives every caller the right MAC")
    func concurrentUse() async throws {
        let pepper = Secrets.randomBytes(32)
        let key = try #require(HMACSHA256Key(pepper))
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var wrong = 0
                    for _ in 0..<500 {
                        let message = Secrets.randomBytes(47)
                        if key.authenticationCode(for: message) != Secrets.hmacSHA256(message, key: pepper) {
                            wrong += 1
                        }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
}
