/// A Lua script for `EVALSHA`, with its SHA-1 worked out once.
///
/// ``RedisConnection/evaluate(_:keys:arguments:)`` sends `EVALSHA` and falls back to `EVAL` (which
/// also caches the script) when Redis answers `NOSCRIPT`, e.g. after a restart.
///
/// ```swift
/// let increment = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
/// let total = try await redis.evaluate(increment, keys: ["counter"], arguments: [5])
/// ```
package struct RedisScript: Sendable, Hashable {
    /// The Lua source.
    package let source: String
    /// The lower-case hex SHA-1 of the source, as Redis names cached scripts.
    package let sha1: String

    /// Creates a script.
    ///
    /// - Parameter source: The Lua source.
    package init(_ source: String) {
        self.source = source
        self.sha1 = Digest.hex(Digest.sha1(Array(source.utf8)))
    }
}
