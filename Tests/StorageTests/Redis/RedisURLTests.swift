import Storage
import Testing

@Suite("RedisURL")
struct RedisURLTests {
    @Test(
        "Valid redis:// URLs give host, port and database, defaulting to port 6379 and database 0",
        arguments: [
            ("redis://127.0.0.1:6379/0", "127.0.0.1", 6379, 0),
            ("redis://localhost", "localhost", 6379, 0),
            ("redis://localhost/", "localhost", 6379, 0),
            ("redis://cache.internal:6380", "cache.internal", 6380, 0),
            ("redis://cache.internal/7", "cache.internal", 6379, 7),
            ("redis://cache.internal:1/15", "cache.internal", 1, 15),
            ("redis://cache.internal:65535", "cache.internal", 65535, 0),
        ]
    )
    func parsesValidURL(text: String, host: String, port: Int, database: Int) throws {
        let url = try #require(RedisURL(text))

        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.database == database)
    }

    @Test(
        "Credentials before the host are kept, percent-decoded, even when the password contains '@'",
        arguments: [
            ("redis://user:pass@redis.example:6390/2", "user", "pass", "redis.example", 6390, 2),
            ("redis://:secret@10.0.0.5/1", nil, "secret", "10.0.0.5", 6379, 1),
            ("redis://user@10.0.0.5", "user", nil, "10.0.0.5", 6379, 0),
            ("redis://user:p@ss@redis.example:6391", "user", "p@ss", "redis.example", 6391, 0),
            ("redis://al%69ce:p%40ss%3Aw%2Frd%25@h/4", "alice", "p@ss:w/rd%", "h", 6379, 4),
            ("redis://:@h", nil, "", "h", 6379, 0),
            ("redis://b%C3%A9a:%E2%82%AC@h", "béa", "€", "h", 6379, 0),
        ] as [(String, String?, String?, String, Int, Int)]
    )
    func keepsCredentials(
        text: String, username: String?, password: String?, host: String, port: Int, database: Int
    ) throws {
        let url = try #require(RedisURL(text))

        #expect(url.username == username)
        #expect(url.password == password)
        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.database == database)
    }

    @Test(
        "Descriptions never show the password",
        arguments: [
            ("redis://alice:s3cret@h:1/2", "redis://alice:***@h:1/2"),
            ("redis://:s3cret@h", "redis://:***@h:6379/0"),
            ("redis://alice@h", "redis://alice@h:6379/0"),
            ("redis://h", "redis://h:6379/0"),
        ]
    )
    func descriptionHidesPassword(text: String, description: String) throws {
        let url = try #require(RedisURL(text))

        #expect("\(url)" == description)
        #expect(String(reflecting: url) == description)
        var dumped = ""
        dump(url, to: &dumped)
        #expect(!dumped.contains("s3cret"), "\(dumped)")
        #expect(!"\(RedisPool.Configuration(url: url))".contains("s3cret"))
    }

    @Test("rediss:// is recognised as TLS, whatever its case, and not parsed")
    func recognisesTLS() {
        #expect(RedisURL.isTLSScheme("rediss://:pw@cache.example:6380/0"))
        #expect(RedisURL.isTLSScheme("REDISS://cache.example"))
        #expect(!RedisURL.isTLSScheme("redis://cache.example"))
        #expect(RedisURL("rediss://cache.example") == nil)
    }

    @Test(
        "A wrong scheme, a missing host, a bad port or database, or a malformed escape in the credentials gives nil",
        arguments: [
            "rediss://127.0.0.1:6379/0",
            "http://127.0.0.1:6379/0",
            "127.0.0.1:6379",
            "",
            "redis://",
            "redis://:6379/0",
            "redis://user:pass@:6379",
            "redis://127.0.0.1:0",
            "redis://127.0.0.1:70000",
            "redis://127.0.0.1:-1",
            "redis://127.0.0.1:abc",
            "redis://127.0.0.1:",
            "redis://127.0.0.1:6379/-1",
            "redis://127.0.0.1:6379/abc",
            "redis://127.0.0.1:6379/0/extra",
            "redis://:bad%zzescape@127.0.0.1",
            "redis://user%4:pw@127.0.0.1",
            "redis://:%FF%FE@127.0.0.1",
        ]
    )
    func rejectsInvalidURL(text: String) {
        #expect(RedisURL(text) == nil)
    }
}
