/// HTML and XML character references: `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&nbsp;` and a
/// few common named ones, and numeric `&#38;` / `&#x26;`. Anything else is kept as written.
enum CharacterReferences {
    private static let named: [String: Unicode.Scalar] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}", "copy": "\u{A9}",
        "reg": "\u{AE}", "mdash": "\u{2014}", "ndash": "\u{2013}", "hellip": "\u{2026}", "laquo": "\u{AB}",
        "raquo": "\u{BB}", "euro": "\u{20AC}", "rsquo": "\u{2019}", "lsquo": "\u{2018}", "ldquo": "\u{201C}",
        "rdquo": "\u{201D}", "bull": "\u{2022}", "middot": "\u{B7}", "times": "\u{D7}",
    ]

    /// The scalars a reference starting at `index` (which holds `&`) stands for, and how many
    /// source scalars it took; an unknown or unterminated reference stands for the `&` alone.
    static func decode(_ source: [Unicode.Scalar], at index: Int) -> ([Unicode.Scalar], Int) {
        var end = index + 1
        while end < source.count, end - index <= 10, source[end] != ";" {
            end += 1
        }
        guard end < source.count, source[end] == ";", end > index + 1 else { return (["&"], 1) }
        var name = ""
        name.unicodeScalars.append(contentsOf: source[(index + 1)..<end])
        let length = end - index + 1
        if name.hasPrefix("#") {
            let digits = name.dropFirst()
            let value: UInt32? =
                digits.first == "x" || digits.first == "X"
                ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            guard let value, value != 0, let scalar = Unicode.Scalar(value) else { return (["\u{FFFD}"], length) }
            return ([scalar], length)
        }
        guard let scalar = Self.named[name] else { return (["&"], 1) }
        return ([scalar], length)
    }
}
