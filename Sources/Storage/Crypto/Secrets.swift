private import COpenSSL

/// The few primitives secrets need, from OpenSSL's libcrypto: random bytes, HMAC-SHA256 and a
/// constant-time comparison.
package enum Secrets {
    /// Cryptographically strong random bytes.
    ///
    /// - Parameter count: How many bytes.
    /// - Returns: The bytes; the process stops if the system has no entropy source.
    package static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let status = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        precondition(status == 1, "RAND_bytes failed: the system has no entropy source")
        return bytes
    }

    /// HMAC-SHA256 of a message under a key.
    ///
    /// - Parameters:
    ///   - message: The message.
    ///   - key: The key (the server's pepper for API keys).
    /// - Returns: The 32-byte MAC.
    package static func hmacSHA256(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        key.withUnsafeBufferPointer { keyBytes in
            message.withUnsafeBufferPointer { messageBytes in
                output.withUnsafeMutableBufferPointer { out in
                    _ = HMAC(
                        EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count), messageBytes.baseAddress,
                        messageBytes.count, out.baseAddress, &length)
                }
            }
        }
        return output
    }

    /// Whether two byte strings are equal, taking the same time wherever they differ.
    ///
    /// - Parameters:
    ///   - lhs: One value.
    ///   - rhs: The other.
    package static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0 }
        }
    }

    /// Whether two strings' UTF-8 bytes are equal, taking the same time wherever they differ;
    /// native strings are compared in place, without copying. Two strings sharing one buffer
    /// (the server's header cache hands a connection the same string for a repeated header) are
    /// equal without reading it: where a string is stored says nothing about its bytes.
    ///
    /// - Parameters:
    ///   - lhs: One value.
    ///   - rhs: The other.
    package static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        // Native strings are read in place; others are made contiguous in a copy first.
        if let equal = lhs.utf8.withContiguousStorageIfAvailable({ left in
            rhs.utf8.withContiguousStorageIfAvailable { right in Self.constantTimeEquals(left, right) }
        }), let equal {
            return equal
        }
        var lhs = lhs
        var rhs = rhs
        return lhs.withUTF8 { left in rhs.withUTF8 { right in Self.constantTimeEquals(left, right) } }
    }

    private static func constantTimeEquals(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>)
        -> Bool
    {
        left.count == right.count
            && (left.baseAddress == right.baseAddress
                || CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0)
    }

    /// SHA-256 of bytes.
    ///
    /// - Parameter bytes: The input.
    package static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        Digest.sha256(bytes)
    }
}
