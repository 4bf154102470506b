package import Storage

/// A plaintext API key and the parts stored about it.
///
/// Format: `adm_` (admin) or `ten_` (tenant), then 43 base62 characters (256 random bits).
/// The first 12 characters are the `prefix`: unique, shown in listings and used to find the
/// row; the last four are `lastFour`. Only an HMAC-SHA256 of the whole key under the server's
/// pepper is stored: the keys carry 256 bits of entropy, so a slow password hash would add
/// nothing but latency, and the pepper keeps a stolen database from confirming guesses.
package struct ApiKeyMaterial: Sendable {
    /// Whose key it is, by its type tag.
    package enum Kind: String, Sendable {
        /// `adm_`: an admin user's key.
        case admin = "adm_"
        /// `ten_`: a tenant's key.
        case tenant = "ten_"
    }

    /// How many characters of the key form the stored lookup prefix.
    package static let prefixLength = 12

    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// The plaintext key; shown to its owner exactly once.
    package let plaintext: String
    /// The key's kind.
    package let kind: Kind

    /// A new random key.
    ///
    /// - Parameter kind: Admin or tenant.
    package init(generating kind: Kind) {
        var body: [UInt8] = []
        // Rejection sampling keeps every character equally likely.
        while body.count < 43 {
            for byte in Secrets.randomBytes(48) where byte < 248 && body.count < 43 {
                body.append(Self.alphabet[Int(byte % 62)])
            }
        }
        self.kind = kind
        self.plaintext = kind.rawValue + String(decoding: body, as: UTF8.self)
    }

    /// Reads a key a client sent, without checking it against storage.
    ///
    /// - Parameter plaintext: The presented key.
    /// - Returns: `nil` when it is not shaped like one of our keys.
    package init?(presented plaintext: String) {
        let utf8 = plaintext.utf8
        guard utf8.count == 47,
            let kind = Kind.allCases.first(where: { utf8.starts(with: $0.rawValue.utf8) }),
            utf8.dropFirst(4).allSatisfy(Self.isAlphanumeric)
        else { return nil }
        self.kind = kind
        self.plaintext = plaintext
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
    }

    package var prefix: String { String(self.plaintext.prefix(Self.prefixLength)) }

    /// The last four characters.
    package var lastFour: String { String(self.plaintext.suffix(4)) }

    /// The stored hash: HMAC-SHA256 under the pepper.
    ///
    /// - Parameter pepper: The server's secret pepper.
    package func hash(pepper: [UInt8]) -> [UInt8] {
        Secrets.hmacSHA256(Array(self.plaintext.utf8), key: pepper)
    }

    /// Whether this key matches a stored hash, compared in constant time.
    ///
    /// - Parameters:
    ///   - storedHash: The hash from the database.
    ///   - pepper: The server's secret pepper.
    /// ``hash(pepper:)`` with the pepper prepared once: the same bytes, cheaper per call.
    ///
    /// - Parameter key: The pepper as a prepared HMAC key.
    package func hash(with key: HMACSHA256Key) -> [UInt8] {
        key.authenticationCode(for: self.plaintext.utf8)
    }

    package func matches(_ storedHash: [UInt8], pepper: [UInt8]) -> Bool {
        Secrets.constantTimeEquals(self.hash(pepper: pepper), storedHash)
    }
}

extension ApiKeyMaterial.Kind: CaseIterable {}
