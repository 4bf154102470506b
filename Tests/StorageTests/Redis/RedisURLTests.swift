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
        "Credentials before the host are accepted and dropped, even when the password contains '@'",
        arguments: [
            ("redis://user:pass@redis.example:6390/2", "redis.example", 6390, 2),
            ("redis://:secret@10.0.0.5/1", "10.0.0.5", 6379, 1),
            ("redis://user@10.0.0.5", "10.0.0.5", 6379, 0),
            ("redis://user:p@ss@redis.example:6391", "redis.example", 6391, 0),
        ]
    )
    func dropsCredentials(text: String, host: String, port: Int, database: Int) throws {
        let url = try #require(RedisURL(text))

        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.database == database)
    }

    @Test(
        "A wrong scheme, a missing host, a port outside 1...65535 or a non-numeric or negative database gives nil",
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
        ]
    )
    func rejectsInvalidURL(text: String) {
        #expect(RedisURL(text) == nil)
    }
}
