/// Which characters a text field accepts: control characters are refused everywhere, except tab
/// and line breaks in the few fields that hold prose (``multiline``).
///
/// Refused, by Unicode code point:
///
/// | range | what | single-line fields | multiline fields |
/// | --- | --- | --- | --- |
/// | U+0000 | NUL (PostgreSQL cannot store it in `text`) | refused | refused |
/// | U+0009, U+000A, U+000D | tab, line feed, carriage return | refused | accepted |
/// | other U+0001–U+001F | C0 controls (escape, bell, backspace, …) | refused | refused |
/// | U+007F | DEL | refused | refused |
/// | U+0080–U+009F | C1 controls | refused | refused |
///
/// That is exactly Unicode's general category `Cc`. Every other character (letters of any script,
/// emoji, format characters such as U+200D) is accepted.
enum TextCharacters: Sendable {
    /// Names, labels, emails, identifiers, URLs, tokens: no control character at all.
    case singleLine
    /// Prose a person writes over several lines (a system prompt, a greeting, a hand-off message,
    /// a metadata value): tab, line feed and carriage return are accepted.
    case multiline

    /// The first character of `text` this rule refuses, if any.
    func firstRefused(in text: String) -> Unicode.Scalar? {
        for scalar in text.unicodeScalars where Self.isControl(scalar) {
            if self == .multiline, scalar == "\t" || scalar == "\n" || scalar == "\r" {
                continue
            }
            return scalar
        }
        return nil
    }

    /// What the rule refuses, for error messages.
    var refusal: String {
        switch self {
        case .singleLine: "must not contain control characters (U+0000-U+001F, U+007F-U+009F)"
        case .multiline:
            "must not contain control characters other than tab, line feed and carriage return"
        }
    }

    /// Whether `scalar` is a C0 or C1 control character or DEL (general category `Cc`).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
