package import Storage

/// A stored password: `scrypt$<logN>$<r>$<p>$<salt hex>$<key hex>`, 16 random bytes of salt and
/// a 32-byte key (docs/dashboard.md says why scrypt).
package struct PasswordHash: Sendable, Hashable {
    /// The stored text.
    package let text: String

    /// The shortest password accepted.
    package static let minimumLength = 12
    /// The longest password accepted, in bytes (longer input only costs the server time).
    package static let maximumBytes = 1024

    /// Wraps stored text without checking it (``verify(_:)`` refuses malformed text).
    package init(stored text: String) {
        self.text = text
    }

    /// Hashes a new password.
    ///
    /// - Throws: ``PasswordRuleViolation`` when it is shorter than ``minimumLength`` characters
    ///   or longer than ``maximumBytes`` bytes.
    package static func make(password: String, cost: Scrypt.Cost) throws -> PasswordHash {
        try Self.checkRules(password)
        let salt = Secrets.randomBytes(16)
        guard let key = Scrypt.derive(password: Array(password.utf8), salt: salt, cost: cost, length: 32) else {
            throw PasswordRuleViolation(message: "The password hash cost is out of bounds.")
        }
        return PasswordHash(
            stored: "scrypt$\(cost.logN)$\(cost.blockSize)$\(cost.parallelism)$\(Digest.hex(salt))$\(Digest.hex(key))")
    }

    /// Checks the password rules.
    package static func checkRules(_ password: String) throws {
        guard password.count >= Self.minimumLength else {
            throw PasswordRuleViolation(
                message: "The password must be at least \(Self.minimumLength) characters long.")
        }
        guard password.utf8.count <= Self.maximumBytes else {
            throw PasswordRuleViolation(message: "The password must be at most \(Self.maximumBytes) bytes long.")
        }
    }

    /// Whether `password` is the one hashed here, compared in constant time. Malformed stored text
    /// never verifies.
    package func verify(_ password: String) -> Bool {
        guard password.utf8.count <= Self.maximumBytes else { return false }
        let parts = self.text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt",
            parts[1].count <= 2, let logN = Int(parts[1]),
            parts[2].count <= 2, let blockSize = Int(parts[2]),
            parts[3].count <= 2, let parallelism = Int(parts[3]),
            let salt = Self.bytes(hex: parts[4]), salt.count >= 8,
            let expected = Self.bytes(hex: parts[5]), (16...128).contains(expected.count)
        else { return false }
        let cost = Scrypt.Cost(logN: logN, blockSize: blockSize, parallelism: parallelism)
        guard
            let key = Scrypt.derive(password: Array(password.utf8), salt: salt, cost: cost, length: expected.count)
        else { return false }
        return Secrets.constantTimeEquals(key, expected)
    }

    /// The cost the stored hash was made with, when it parses.
    package var cost: Scrypt.Cost? {
        let parts = self.text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[1].count <= 2, parts[2].count <= 2, parts[3].count <= 2,
            let logN = Int(parts[1]), let blockSize = Int(parts[2]), let parallelism = Int(parts[3])
        else { return nil }
        return Scrypt.Cost(logN: logN, blockSize: blockSize, parallelism: parallelism)
    }

    private static func bytes(hex: Substring) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0, digits.count <= 512 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

/// A new password breaks a rule; the message says which.
package struct PasswordRuleViolation: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    package var message: String

    package var description: String { self.message }
}
