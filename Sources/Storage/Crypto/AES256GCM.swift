private import COpenSSL

/// AES-256 in Galois/Counter Mode from OpenSSL's libcrypto: authenticated encryption with a 12-byte
/// nonce, a 16-byte tag and additional authenticated data.
package enum AES256GCM {
    /// The key length in bytes.
    package static let keyByteCount = 32
    /// The nonce length in bytes.
    package static let nonceByteCount = 12
    /// The tag length in bytes.
    package static let tagByteCount = 16

    /// Encrypts `plaintext`.
    ///
    /// - Parameters:
    ///   - plaintext: The bytes to hide.
    ///   - key: 32 bytes.
    ///   - nonce: 12 bytes, never used twice with the same key.
    ///   - additionalData: Bytes authenticated but not encrypted.
    /// - Returns: The ciphertext (as long as the plaintext) followed by the 16-byte tag.
    package static func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], additionalData: [UInt8]) -> [UInt8] {
        precondition(key.count == Self.keyByteCount && nonce.count == Self.nonceByteCount)
        guard let context = EVP_CIPHER_CTX_new() else { fatalError("EVP_CIPHER_CTX_new failed: out of memory") }
        defer { EVP_CIPHER_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: plaintext.count + Self.tagByteCount)
        var length: Int32 = 0
        var ok = EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1
        if !additionalData.isEmpty {
            ok = ok && EVP_EncryptUpdate(context, nil, &length, additionalData, Int32(additionalData.count)) == 1
        }
        ok =
            ok
            && output.withUnsafeMutableBufferPointer { out in
                var written: Int32 = 0
                guard EVP_EncryptUpdate(context, out.baseAddress, &written, plaintext, Int32(plaintext.count)) == 1,
                    EVP_EncryptFinal_ex(context, out.baseAddress.map { $0 + Int(written) }, &length) == 1
                else { return false }
                return EVP_CIPHER_CTX_ctrl(
                    context, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagByteCount),
                    out.baseAddress.map { $0 + plaintext.count })
                    == 1
            }
        precondition(ok, "AES-256-GCM encryption failed in libcrypto")
        return output
    }

    /// Decrypts and authenticates what ``seal(_:key:nonce:additionalData:)`` produced.
    ///
    /// - Parameters:
    ///   - sealed: The ciphertext followed by its 16-byte tag.
    ///   - key: 32 bytes.
    ///   - nonce: The 12-byte nonce used to seal.
    ///   - additionalData: The same additional data as when sealing.
    /// - Returns: The plaintext, or `nil` when the key, nonce, data or tag do not match.
    package static func open(_ sealed: [UInt8], key: [UInt8], nonce: [UInt8], additionalData: [UInt8]) -> [UInt8]? {
        guard key.count == Self.keyByteCount, nonce.count == Self.nonceByteCount, sealed.count >= Self.tagByteCount
        else { return nil }
        guard let context = EVP_CIPHER_CTX_new() else { fatalError("EVP_CIPHER_CTX_new failed: out of memory") }
        defer { EVP_CIPHER_CTX_free(context) }
        let ciphertextCount = sealed.count - Self.tagByteCount
        var tag = Array(sealed[ciphertextCount...])
        var output = [UInt8](repeating: 0, count: max(ciphertextCount, 1))
        var length: Int32 = 0
        guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { return nil }
        if !additionalData.isEmpty {
            guard EVP_DecryptUpdate(context, nil, &length, additionalData, Int32(additionalData.count)) == 1 else {
                return nil
            }
        }
        let opened = output.withUnsafeMutableBufferPointer { out -> Bool in
            var written: Int32 = 0
            let decrypted = sealed.withUnsafeBufferPointer { input in
                EVP_DecryptUpdate(context, out.baseAddress, &written, input.baseAddress, Int32(ciphertextCount)) == 1
            }
            guard decrypted,
                EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(Self.tagByteCount), &tag) == 1
            else { return false }
            return EVP_DecryptFinal_ex(context, out.baseAddress.map { $0 + Int(written) }, &length) == 1
        }
        return opened ? Array(output.prefix(ciphertextCount)) : nil
    }
}
