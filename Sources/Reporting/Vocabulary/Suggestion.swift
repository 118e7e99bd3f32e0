/// "Did you mean …?" for a mistyped key, word or metric name.
///
/// ```swift
/// Suggestion.didYouMean("warm_targt", in: ["warm_target", "maximum_vms"])  // "; did you mean `warm_target`?"
/// ```
package enum Suggestion {
    /// The candidate closest to `word` by edit distance, when it is close enough to be a likely typo.
    package static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let lowered = word.lowercased()
        var best: (candidate: String, distance: Int)?
        for candidate in candidates.sorted() {
            let distance = editDistance(lowered, candidate)
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        let allowed = max(2, min(word.count, best.candidate.count) / 3)
        let containsEither = best.candidate.contains(lowered) || lowered.contains(best.candidate)
        if best.distance <= allowed || (containsEither && lowered.count >= 3) { return best.candidate }
        // Else the one candidate sharing the longest prefix (at least 4 characters): `constant-rate`.
        let prefixes = candidates.map { ($0, commonPrefixLength(lowered, $0)) }
        guard let longest = prefixes.map(\.1).max(), longest >= 4 else { return nil }
        let matches = prefixes.filter { $0.1 == longest }
        return matches.count == 1 ? matches[0].0 : nil
    }

    private static func commonPrefixLength(_ a: String, _ b: String) -> Int {
        zip(a.unicodeScalars, b.unicodeScalars).prefix { $0 == $1 }.count
    }

    /// " (did you mean `x`?)"-style suffix, or an empty string.
    package static func didYouMean(_ word: String, in candidates: some Sequence<String>) -> String {
        guard let match = closest(to: word, in: candidates) else { return "" }
        return "; did you mean `\(match)`?"
    }

    /// Levenshtein distance over Unicode scalars.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
