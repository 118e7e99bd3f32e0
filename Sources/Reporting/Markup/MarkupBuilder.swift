/// Writes elements of HTML, SVG or XML with every attribute value and text escaped; attributes keep the
/// order they are given in, so the output is reproducible.
struct MarkupBuilder {
    private(set) var text = ""

    /// `<name a="…">`; close it with ``close(_:)``.
    mutating func open(_ name: String, _ attributes: KeyValuePairs<String, String> = [:], class: String? = nil) {
        text += "<" + name + Self.attributes(attributes, class: `class`) + ">"
    }

    /// `</name>`.
    mutating func close(_ name: String) {
        text += "</" + name + ">"
    }

    /// A whole element: `<name …>text</name>`, or `<name …/>` when it has no text.
    mutating func element(
        _ name: String,
        _ attributes: KeyValuePairs<String, String> = [:],
        class: String? = nil,
        text content: String? = nil
    ) {
        let head = "<" + name + Self.attributes(attributes, class: `class`)
        if let content {
            text += head + ">" + content.markupEscaped + "</" + name + ">"
        } else {
            text += head + "/>"
        }
    }

    /// Text between elements, escaped.
    mutating func append(text content: String) {
        text += content.markupEscaped
    }

    /// Markup made elsewhere (already escaped), e.g. a chart's `<svg>`.
    mutating func append(markup: String) {
        text += markup
    }

    /// A line break, to keep the source readable.
    mutating func newline() {
        text += "\n"
    }

    private static func attributes(_ attributes: KeyValuePairs<String, String>, class: String?) -> String {
        var out = ""
        if let `class` { out += " class=\"" + `class`.markupEscaped + "\"" }
        for (key, value) in attributes { out += " " + key + "=\"" + value.markupEscaped + "\"" }
        return out
    }
}
