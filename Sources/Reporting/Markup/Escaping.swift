extension String {
    /// The text with `&`, `<`, `>`, `"` and `'` replaced by entities: safe in HTML and XML text and in
    /// quoted attribute values.
    ///
    /// ```swift
    /// "a < b & c".markupEscaped  // "a &lt; b &amp; c"
    /// ```
    var markupEscaped: String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for character in unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            // XML 1.0 forbids most control characters even as references; a report never needs them.
            case "\u{0}"..."\u{8}", "\u{B}", "\u{C}", "\u{E}"..."\u{1F}", "\u{FFFE}", "\u{FFFF}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
