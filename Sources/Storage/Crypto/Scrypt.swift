private import COpenSSL

/// scrypt (RFC 7914) from OpenSSL's libcrypto: the memory-hard key derivation the dashboard's
/// password hashes use (docs/dashboard.md).
package enum Scrypt {
    /// The cost parameters: `N = 2^logN`, block size `r`, parallelism `p`.
    package struct Cost: Sendable, Hashable {
        /// log2 of the CPU/memory cost `N` (1–22).
        package var logN: Int
        /// The block size `r` (1–32).
        package var blockSize: Int
        /// The parallelism `p` (1–16).
        package var parallelism: Int

        /// Creates a cost; ``isValid`` tells whether scrypt accepts it here.
        package init(logN: Int, blockSize: Int, parallelism: Int) {
            self.logN = logN
            self.blockSize = blockSize
            self.parallelism = parallelism
        }

        /// N = 2^16, r = 8, p = 1: 64 MiB and roughly 0.1–0.2 s per hash on one core.
        package static var interactive: Cost { Cost(logN: 16, blockSize: 8, parallelism: 1) }

        /// Whether the parameters are within the bounds this wrapper accepts (memory at most 1 GiB).
        package var isValid: Bool {
            (1...22).contains(self.logN) && (1...32).contains(self.blockSize) && (1...16).contains(self.parallelism)
                && self.memoryBytes <= 1 << 30
        }

        /// The memory one derivation needs: 128 · r · N bytes (plus 128 · r · p).
        package var memoryBytes: Int {
            128 * self.blockSize * (1 << self.logN) + 128 * self.blockSize * self.parallelism
        }
    }

    /// Derives `length` bytes from `password` and `salt`.
    ///
    /// - Returns: The key, or `nil` when the cost is out of bounds or libcrypto refuses it.
    package static func derive(password: [UInt8], salt: [UInt8], cost: Cost, length: Int) -> [UInt8]? {
        guard cost.isValid, (16...128).contains(length) else { return nil }
        var key = [UInt8](repeating: 0, count: length)
        // Returns 1 on success, 0 when the parameters are refused or memory cannot be allocated.
        let status = password.withUnsafeBufferPointer { passwordBytes in
            salt.withUnsafeBufferPointer { saltBytes in
                key.withUnsafeMutableBufferPointer { out in
                    passwordBytes.withMemoryRebound(to: CChar.self) { passwordText in
                        EVP_PBE_scrypt(
                            passwordText.baseAddress, passwordText.count, saltBytes.baseAddress, saltBytes.count,
                            UInt64(1) << UInt64(cost.logN), UInt64(cost.blockSize), UInt64(cost.parallelism),
                            UInt64(cost.memoryBytes + 1 << 20), out.baseAddress, out.count)
                    }
                }
            }
        }
        return status == 1 ? key : nil
    }
}
