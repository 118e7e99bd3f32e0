/// The rule for names that become file names — a scenario's, a variant's, a report's — and the one place a file
/// is named inside the directory it belongs to.
///
/// A name is 1 to 100 ASCII letters, digits, `-`, `_` and `.`, not starting with `.`: no `/`, no `..`, no
/// NUL, nothing a shell or a file system reads differently. Scenario files come from pull requests and CI
/// runs them as root, so a name that could step outside `--output` is refused where it is read, with the file,
/// line and key, and every file is named through ``path(_:suffix:in:)``, which refuses it again.
///
/// ```swift
/// FileName.problem("burst.nic1")  // nil
/// FileName.problem("../../evil")  // "may not contain `/`: …"
/// try FileName.path("smoke", suffix: ".json", in: "Reports")  // "Reports/smoke.json"
/// ```
package enum FileName {
    /// The longest name: with the longest suffix (`.audit.jsonl`) it stays far below a file name's 255 bytes.
    package static let maximumLength = 100

    /// Why `name` cannot name a file, or `nil` when it can.
    package static func problem(_ name: String) -> String? {
        let allowed = "letters, digits, `-`, `_` and `.`, not starting with `.`"
        if name.isEmpty { return "is empty; a name is \(allowed)" }
        if name.unicodeScalars.count > maximumLength {
            return "is \(name.unicodeScalars.count) characters long; at most \(maximumLength) are allowed"
        }
        if let bad = name.unicodeScalars.first(where: { !isAllowed($0) }) {
            let shown =
                bad.value < 0x20 || bad.value == 0x7F
                ? "U+\(String(bad.value, radix: 16, uppercase: true))" : "`\(bad)`"
            return "may not contain \(shown); a name is \(allowed) (it names the report files)"
        }
        if name.hasPrefix(".") { return "starts with `.`; a name is \(allowed)" }
        return nil
    }

    /// `<directory>/<name><suffix>`, after checking `name` (and `suffix`) by the rule.
    ///
    /// - Throws: ``FileNameError`` when the name breaks the rule.
    package static func path(_ name: String, suffix: String = "", in directory: String) throws -> String {
        if let problem = problem(name + suffix) { throw FileNameError(name: name + suffix, problem: problem) }
        return (directory.hasSuffix("/") ? String(directory.dropLast()) : directory) + "/" + name + suffix
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".": true
        default: false
        }
    }
}

/// A name that cannot name a file (``FileName``).
package struct FileNameError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The name as given.
    package var name: String
    /// What is wrong with it.
    package var problem: String

    package init(name: String, problem: String) {
        self.name = name
        self.problem = problem
    }

    package var description: String {
        let shown = name.unicodeScalars.map { $0.value < 0x20 ? "\\u{\(String($0.value, radix: 16))}" : String($0) }
            .joined()
        return "the name \"\(shown)\" \(problem)"
    }
}
