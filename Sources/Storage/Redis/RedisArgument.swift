/// A value that can be one argument of a Redis command; every argument travels as bytes.
///
/// ```swift
/// try await redis.command(["SET", key, 42, "EX", 60])
/// ```
package protocol RedisArgument: Sendable {
    /// The argument's bytes.
    var redisBytes: [UInt8] { get }
}

extension String: RedisArgument {
    /// The UTF-8 bytes.
    package var redisBytes: [UInt8] { Array(self.utf8) }
}

extension Substring: RedisArgument {
    /// The UTF-8 bytes.
    package var redisBytes: [UInt8] { Array(self.utf8) }
}

extension Int: RedisArgument {
    /// The decimal digits.
    package var redisBytes: [UInt8] { Array(String(self).utf8) }
}

extension Int64: RedisArgument {
    /// The decimal digits.
    package var redisBytes: [UInt8] { Array(String(self).utf8) }
}

extension Double: RedisArgument {
    /// The shortest decimal text that reads back as the same value.
    package var redisBytes: [UInt8] { Array(String(self).utf8) }
}

extension Array: RedisArgument where Element == UInt8 {
    /// The bytes themselves.
    package var redisBytes: [UInt8] { self }
}
