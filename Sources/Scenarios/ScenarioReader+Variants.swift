import Firecracker
import Foundation
import HostSystem
import Reporting
import SnapshotPool
import Yams

/// `variants`: one root per variant, its keys laid over the file's.
extension ScenarioReader {
    /// The root itself, or for each of its `variants` the root with the variant's `vm` and `pool` keys laid
    /// over its own and its name suffixed.
    func variantRoots(_ root: Node) throws -> [Node] {
        guard case .mapping(let top) = root, let list = top["variants"] else { return [root] }
        let baseName = try top["name"].map { try document.string($0, path: "name") } ?? ""
        var roots: [Node] = []
        var names: [String: Int] = [:]
        for (index, item) in try document.list(list, path: "variants", nonEmpty: true).enumerated() {
            let path = "variants[\(index)]"
            let fields = try Fields(item, path: path, document: document)
            try fields.rejectUnknown(allowed: Self.variantKeys)
            let nameNode = try fields.required("name")
            let name = try document.string(nameNode, path: path + ".name")
            let problem =
                name.contains(".")
                ? "contains `.`, which separates it from the scenario's name; a variant's name is letters, digits, "
                    + "`-` and `_` (it names the report files)"
                : FileName.problem(name).map { "the variant's name \($0)" }
                    ?? FileName.problem(baseName + "." + name).map {
                        "the variant's full name \(baseName).\(name) \($0)"
                    }
            if let problem {
                throw document.error(.invalidValue, at: nameNode, path: path + ".name", problem)
            }
            if let earlier = names[name] {
                throw document.error(
                    .invalidValue,
                    at: nameNode,
                    path: path + ".name",
                    "variant name `\(name)` is already used by variants[\(earlier)]"
                )
            }
            names[name] = index
            var pairs: [(Node, Node)] = []
            for (key, value) in top where key.string != "variants" {
                switch key.string {
                case "name":
                    pairs.append((key, .scalar(Node.Scalar(baseName + "." + name, value.tag, .plain, value.mark))))
                case "gates" where fields.has("gates"):
                    // A variant's gates are added to the file's: what it alone is held to.
                    pairs.append((key, Self.appending(value, fields["gates"]!)))
                case let section? where fields.has(section) && Self.variantKeys.contains(section):
                    pairs.append((key, Self.overlay(value, with: fields[section]!)))
                default: pairs.append((key, value))
                }
            }
            for section in ["vm", "pool", "gates"] where fields.has(section) && top[section] == nil {
                pairs.append((Node(section), fields[section]!))
            }
            roots.append(.mapping(Node.Mapping(pairs, top.tag, top.style, top.mark)))
        }
        return roots
    }

    /// `base`'s items followed by `more`'s, when both are lists; otherwise `more` (the parser then says what is wrong).
    static func appending(_ base: Node, _ more: Node) -> Node {
        guard case .sequence(let first) = base, case .sequence(let second) = more else { return more }
        return .sequence(Node.Sequence(Array(first) + Array(second), first.tag, first.style, first.mark))
    }

    /// `base`'s keys with `over`'s laid over them (one level deep); anything but two mappings is `over`.
    static func overlay(_ base: Node, with over: Node) -> Node {
        guard case .mapping(let replacing) = over, case .mapping(let original) = base else { return over }
        let replaced = Set(replacing.keys.compactMap(\.string))
        let pairs =
            original.filter { !replaced.contains($0.key.string ?? "") }.map { ($0.key, $0.value) }
            + replacing.map { ($0.key, $0.value) }
        return .mapping(Node.Mapping(pairs, original.tag, original.style, original.mark))
    }
}
