private import COpenSSL

/// One-shot message digests from OpenSSL's libcrypto.
///
/// The only file in `Storage` that imports `COpenSSL`.
package enum Digest {
    /// The SHA-256 digest of `bytes` (32 bytes).
    package static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        Self.digest(bytes, length: 32, algorithm: EVP_sha256())
    }

    /// The SHA-1 digest of `bytes` (20 bytes), as Redis names Lua scripts.
    package static func sha1(_ bytes: [UInt8]) -> [UInt8] {
        Self.digest(bytes, length: 20, algorithm: EVP_sha1())
    }

    /// Lower-case hexadecimal text of `bytes`, two characters per byte.
    package static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func digest(_ bytes: [UInt8], length: Int, algorithm: OpaquePointer?) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: length)
        var written: UInt32 = 0
        let status = bytes.withUnsafeBytes { input in
            output.withUnsafeMutableBufferPointer { out in
                // Returns 1 on success, 0 only when the digest context cannot be allocated.
                EVP_Digest(input.baseAddress, input.count, out.baseAddress, &written, algorithm, nil)
            }
        }
        precondition(status == 1 && Int(written) == length, "EVP_Digest failed: libcrypto could not allocate a context")
        return output
    }
}
