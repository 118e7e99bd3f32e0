extension MarkupBuilder {
    /// Starts a self-contained report page: doctype, head with `title` and the shared stylesheet (plus `css`
    /// of the page's own), and the opening `<body>`. End it with ``endPage(footer:)``.
    mutating func beginPage(title: String, css: String = "") {
        append(markup: "<!DOCTYPE html>\n")
        open("html", ["lang": "en"])
        open("head")
        element("meta", ["charset": "utf-8"])
        element("meta", ["name": "viewport", "content": "width=device-width, initial-scale=1"])
        element("title", text: title)
        // Our own constant stylesheets: CSS is not markup, so it goes in as written.
        open("style")
        append(markup: "\n" + HTMLStyle.css + "\n" + (css.isEmpty ? "" : css + "\n"))
        close("style")
        close("head")
        newline()
        open("body")
    }

    /// Ends the page with a last line saying what wrote it.
    mutating func endPage(footer: String) {
        element("p", class: "lead", text: footer)
        close("body")
        close("html")
        newline()
    }
}
