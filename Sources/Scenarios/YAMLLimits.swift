// Yams's own libyaml (Yams has no product for it, so it is reached through Yams): its event parser, which builds no
// tree, is what can count a document's nodes before Yams composes them.
import CYaml

/// Bounds on a scenario document, checked before Yams composes it.
///
/// Yams resolves an alias to the anchored node itself, so a small document can name a tree of billions of
/// nodes (the "billion laughs"): harmless while nobody walks it, but Yams hashes every mapping key to find
/// duplicates, and a key that is such an alias (or a list of them) is walked in full — the parse never ends.
/// This scan reads the document's events with libyaml (no tree is built) and counts the nodes the document
/// stands for with every alias expanded; a document that is too long or expands too far is refused.
enum YAMLLimits {
    /// The longest scenario text accepted, in UTF-8 bytes (the shipped ones are about 1 KiB).
    static let maximumBytes = 1 << 20
    /// The most nodes a document may stand for, every alias expanded (the shipped ones have about 100;
    /// composing 10,000 takes Yams about 0.3 s in a debug build).
    static let maximumNodes = 10_000

    /// What is too large, and where (1-based line and column of the node that crossed the bound).
    struct Violation: Equatable {
        var message: String
        var line: Int
        var column: Int
    }

    /// The first bound `text` crosses, or `nil`; a document libyaml cannot parse is left to Yams, which
    /// reports the syntax error.
    static func check(_ text: String) -> Violation? {
        let count = text.utf8.count
        guard count <= maximumBytes else {
            return Violation(
                message: "the file is \(count) bytes; a scenario may be at most \(maximumBytes) bytes (1 MiB)",
                line: 0,
                column: 0
            )
        }
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { scan($0) }
    }

    private static func scan(_ buffer: UnsafeMutableBufferPointer<UInt8>) -> Violation? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)

        // Expanded size of each anchored node (the latest definition of a name wins, as in YAML).
        var anchors: [String: Int] = [:]
        // Open collections: their anchor and how many nodes they hold so far (themselves included).
        var open: [(anchor: String?, size: Int)] = []
        var total = 0
        let limit = maximumNodes

        func anchorName(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: $0) }
        }
        /// Adds a finished node of `size` to its parent (or the total); true when a bound is crossed.
        func add(_ size: Int) -> Bool {
            if open.isEmpty {
                total = min(total + size, limit + 1)
                return total > limit
            }
            open[open.count - 1].size = min(open[open.count - 1].size + size, limit + 1)
            return open[open.count - 1].size > limit
        }

        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
            defer { yaml_event_delete(&event) }
            let crossed: Bool
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return nil
            case YAML_SCALAR_EVENT:
                if let name = anchorName(event.data.scalar.anchor) { anchors[name] = 1 }
                crossed = add(1)
            case YAML_ALIAS_EVENT:
                crossed = add(anchorName(event.data.alias.anchor).flatMap { anchors[$0] } ?? 1)
            case YAML_SEQUENCE_START_EVENT:
                open.append((anchorName(event.data.sequence_start.anchor), 1))
                crossed = false
            case YAML_MAPPING_START_EVENT:
                open.append((anchorName(event.data.mapping_start.anchor), 1))
                crossed = false
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let node = open.popLast() else { return nil }
                if let name = node.anchor { anchors[name] = node.size }
                crossed = add(node.size)
            default:
                crossed = false
            }
            if crossed {
                return Violation(
                    message: "the document stands for more than \(limit) nodes once its aliases are expanded "
                        + "(an alias bomb?); a scenario needs a few hundred",
                    line: Int(event.start_mark.line) + 1,
                    column: Int(event.start_mark.column) + 1
                )
            }
        }
    }
}
