private import COpenSSL

/// Message digests from OpenSSL's libcrypto: one-shot, or fed piece by piece
/// (``IncrementalSHA256``).
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

/// A SHA-256 digest computed over bytes that arrive in pieces (an upload streamed to disk), so
/// the whole input is never held in memory.
///
/// ```swift
/// let hasher = IncrementalSHA256()
/// hasher.update(firstChunk)
/// hasher.update(secondChunk)
/// let hex = Digest.hex(hasher.finish())
/// ```
package final class IncrementalSHA256 {
    private let context: OpaquePointer

    /// Starts a digest.
    package init() {
        // NULL only when allocation fails; EVP_DigestInit_ex returns 0 only then too.
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            preconditionFailure("EVP_DigestInit_ex failed: libcrypto could not allocate a context")
        }
        self.context = context
    }

    /// Adds `bytes` to the digest.
    package func update(_ bytes: UnsafeRawBufferPointer) {
        // Returns 0 only for a context in the wrong state, which this class never creates.
        _ = EVP_DigestUpdate(self.context, bytes.baseAddress, bytes.count)
    }

    /// Adds `bytes` to the digest.
    package func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { self.update($0) }
    }

    /// The digest of everything added (32 bytes); the hasher must not be used afterwards.
    package func finish() -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        var written: UInt32 = 0
        let status = output.withUnsafeMutableBufferPointer {
            EVP_DigestFinal_ex(self.context, $0.baseAddress, &written)
        }
        precondition(status == 1 && written == 32, "EVP_DigestFinal_ex failed")
        return output
    }

    deinit {
        EVP_MD_CTX_free(self.context)
    }
}
