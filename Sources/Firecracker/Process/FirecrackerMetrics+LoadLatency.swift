import Foundation

extension FirecrackerMetrics {
    /// Firecracker's own load latency (`latencies_us.load_snapshot`) from the last line of a metrics file that
    /// has one, found by scanning the bytes instead of decoding the JSON.
    ///
    /// The pool reads it at the release of every VM restored on demand, in the middle of a burst: decoding
    /// each ~10 KiB line was half of what collecting the figure cost snapbench (`perf`, 2026-12-07). It gives
    /// what ``latest(inFile:)`` gives in ``loadSnapshotMicroseconds`` for any file Firecracker writes (a later
    /// non-zero value wins; zero means no load since the previous line); a line it cannot read is skipped, not
    /// an error.
    ///
    /// ```swift
    /// let micros = FirecrackerMetrics.latestLoadSnapshotMicroseconds(inFile: vmm.metricsPath)  // e.g. 11432
    /// ```
    ///
    /// - Returns: `nil` when the file is missing or no line has a positive figure.
    package static func latestLoadSnapshotMicroseconds(inFile path: String) -> UInt64? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        var end = bytes.endIndex
        while end > bytes.startIndex {
            let start = (bytes[..<end].lastIndex(of: UInt8(ascii: "\n")) ?? bytes.startIndex - 1) + 1
            if let value = loadSnapshotMicroseconds(inLine: bytes[start..<end]), value > 0 { return value }
            end = max(bytes.startIndex, start - 1)
        }
        return nil
    }

    private static let group = Array(#""latencies_us""#.utf8)
    private static let member = Array(#""load_snapshot""#.utf8)

    /// The `load_snapshot` member of the line's `latencies_us` object (a flat object of numbers).
    private static func loadSnapshotMicroseconds(inLine line: ArraySlice<UInt8>) -> UInt64? {
        guard let groupEnd = find(group, in: line) else { return nil }
        var index = skipSpaces(line, from: groupEnd)
        guard index < line.endIndex, line[index] == UInt8(ascii: ":") else { return nil }
        index = skipSpaces(line, from: index + 1)
        guard index < line.endIndex, line[index] == UInt8(ascii: "{") else { return nil }
        guard let close = line[index...].firstIndex(of: UInt8(ascii: "}")) else { return nil }
        let object = line[(index + 1)..<close]
        var searchFrom = object.startIndex
        while let memberEnd = find(member, in: object[searchFrom...]) {
            searchFrom = memberEnd
            // A key: preceded by `{` or `,` (after spaces), not a string value that happens to match.
            let before = object[..<(memberEnd - member.count)].last(where: { !isSpace($0) })
            guard before == nil || before == UInt8(ascii: ",") else { continue }
            var at = skipSpaces(object, from: memberEnd)
            guard at < object.endIndex, object[at] == UInt8(ascii: ":") else { continue }
            at = skipSpaces(object, from: at + 1)
            return unsignedInteger(object, from: at)
        }
        return nil
    }

    /// The decimal digits at `start`, ending at a `,`, `}` or space; `nil` for anything else (a fraction, a
    /// sign, a string) or more than 64 bits.
    private static func unsignedInteger(_ bytes: ArraySlice<UInt8>, from start: Int) -> UInt64? {
        var value: UInt64 = 0
        var index = start
        while index < bytes.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        guard index > start else { return nil }
        guard index == bytes.endIndex || bytes[index] == UInt8(ascii: ",") || isSpace(bytes[index]) else {
            return nil
        }
        return value
    }

    /// The index just past the first occurrence of `needle` in `haystack`.
    private static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while index <= last {
            guard let candidate = haystack[index...last].firstIndex(of: first) else { return nil }
            if haystack[candidate..<(candidate + needle.count)].elementsEqual(needle) {
                return candidate + needle.count
            }
            index = candidate + 1
        }
        return nil
    }

    private static func skipSpaces(_ bytes: ArraySlice<UInt8>, from start: Int) -> Int {
        bytes[start...].firstIndex(where: { !isSpace($0) }) ?? bytes.endIndex
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }
}
