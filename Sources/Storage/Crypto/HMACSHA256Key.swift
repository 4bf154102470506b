private import COpenSSL

/// An HMAC-SHA256 key prepared once, for hashing many messages under it quickly.
///
/// ``Secrets/hmacSHA256(_:key:)`` looks the algorithm up and sets the key on every call, which
/// costs several microseconds with OpenSSL 3; this type keeps a MAC context with the key already
/// set and copies it per message. Use it on hot paths (every authenticated call hashes the
/// presented API key). The template context is only read after `init`, so concurrent calls are
/// safe.
package final class HMACSHA256Key: @unchecked Sendable {
    private let template: OpaquePointer

    /// Prepares `key`; `nil` when OpenSSL cannot (out of memory, or no HMAC/SHA-256 provider).
    ///
    /// - Parameter key: The key bytes.
    package init?(_ key: [UInt8]) {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { return nil }
        defer { EVP_MAC_free(mac) }
        guard let context = EVP_MAC_CTX_new(mac) else { return nil }
        let initialised = "SHA256".withCString { digest in
            withUnsafeTemporaryAllocation(of: OSSL_PARAM.self, capacity: 2) { parameters in
                parameters[0] = OSSL_PARAM_construct_utf8_string(
                    "digest", UnsafeMutablePointer(mutating: digest), 0)
                parameters[1] = OSSL_PARAM_construct_end()
                return key.withUnsafeBufferPointer { bytes in
                    EVP_MAC_init(context, bytes.baseAddress, bytes.count, parameters.baseAddress) == 1
                }
            }
        }
        guard initialised else {
            EVP_MAC_CTX_free(context)
            return nil
        }
        self.template = context
    }

    deinit {
        EVP_MAC_CTX_free(self.template)
    }

    /// The 32-byte HMAC-SHA256 of `message`, the same bytes as
    /// ``Secrets/hmacSHA256(_:key:)`` with this key.
    ///
    /// - Parameter message: The message.
    package func authenticationCode(for message: some Collection<UInt8>) -> [UInt8] {
        guard let context = EVP_MAC_CTX_dup(self.template) else {
            preconditionFailure("EVP_MAC_CTX_dup failed: out of memory")
        }
        defer { EVP_MAC_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: 32)
        var length = 0
        let updated =
            message.withContiguousStorageIfAvailable { bytes in
                EVP_MAC_update(context, bytes.baseAddress, bytes.count) == 1
            }
            ?? Array(message).withUnsafeBufferPointer { bytes in
                EVP_MAC_update(context, bytes.baseAddress, bytes.count) == 1
            }
        let finished = output.withUnsafeMutableBufferPointer { out in
            EVP_MAC_final(context, out.baseAddress, &length, out.count) == 1
        }
        precondition(updated && finished && length == 32, "HMAC-SHA256 failed on a prepared key")
        return output
    }
}
