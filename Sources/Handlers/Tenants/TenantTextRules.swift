/// Length and character checks shared by every text field of a tenant.
///
/// Lengths count Unicode scalars, as PostgreSQL's `length()` counts characters.
enum TenantTextRules {
    /// Checks that `text` has at most `maximum` characters and no character ``TextCharacters``
    /// refuses: no control character at all, or with `singleLine: false` none but tab, line feed
    /// and carriage return.
    static func check(
        _ text: String, field: String, minimum: Int = 0, maximum: Int, singleLine: Bool = true
    ) throws {
        let count = text.unicodeScalars.count
        guard count >= minimum, count <= maximum else {
            throw TenantFieldViolation.error(
                field,
                minimum > 0
                    ? "must be \(minimum) to \(maximum) characters long"
                    : "must be at most \(maximum) characters long"
            )
        }
        let rule: TextCharacters = singleLine ? .singleLine : .multiline
        if rule.firstRefused(in: text) != nil {
            throw TenantFieldViolation.error(field, rule.refusal)
        }
    }

    /// Checks a value that must be an absolute `http` or `https` URL with a host.
    static func checkHTTPURL(_ text: String, field: String, maximum: Int) throws {
        try self.check(text, field: field, maximum: maximum)
        guard let url = OutboundURL(text), url.hasWellFormedHost, url.path.isEmpty || url.path.hasPrefix("/") else {
            throw TenantFieldViolation.error(field, "must be an absolute http(s) URL")
        }
    }

    /// Checks a value that must be an origin, `scheme://host[:port]` with an `http` or `https`
    /// scheme and nothing after the authority.
    static func checkOrigin(_ text: String, field: String) throws {
        try self.check(text, field: field, minimum: 1, maximum: 2048)
        guard let url = OutboundURL(text), url.hasWellFormedHost, url.path.isEmpty, !url.hasQueryOrFragment else {
            throw TenantFieldViolation.error(field, "must be an http(s) origin like https://example.com:8443")
        }
    }
}
