/// The built-in guest's proof that a clone runs, as `Guest/README.md` specifies it: `R<32 lowercase hex>/<n>`.
package enum GuestProof {
    /// Whether `token` is such a proof (and, given `resumes`, of that many resumes).
    ///
    /// ```swift
    /// GuestProof.matches("R00112233445566778899aabbccddeeff/1")              // true
    /// GuestProof.matches("R00112233445566778899aabbccddeeff/1", resumes: 2)  // false
    /// ```
    package static func matches(_ token: String, resumes: Int? = nil) -> Bool {
        let parts = token.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].first == "R" else { return false }
        let hex = parts[0].dropFirst()
        guard hex.count == 32, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return false }
        guard let count = Int(parts[1]), count >= 1, parts[1].allSatisfy(\.isNumber) else { return false }
        return resumes.map { $0 == count } ?? true
    }
}
