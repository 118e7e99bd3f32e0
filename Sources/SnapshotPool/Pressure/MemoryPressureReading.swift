/// One sample of every memory signal the pool watches, each `nil` when its source could not be read.
///
/// The pool decides how hard to hold on to warm VMs from three independent signals: pressure stall
/// information (how much time tasks spent waiting for memory), the pool cgroup's usage against its limit,
/// and the host's `MemAvailable` against `MemTotal`. A signal is optional because each can be missing for a
/// different reason (no PSI in the kernel, no cgroup in use, no limit set), and a missing signal must never
/// look like a calm one to a reader of a report.
///
/// ```swift
/// let reading = SystemPressureSource().read()
/// if let fraction = reading.memAvailableFraction, fraction < 0.2 {
///     print("host is short of memory: \(reading.memAvailableBytes ?? 0) bytes available")
/// }
/// ```
package struct MemoryPressureReading: Sendable, Codable, Equatable {
    /// `some avg10` of the memory PSI, in percent: the share of the last 10 s in which at least one task
    /// stalled on memory.
    package var psiSomeAvg10: Double?
    /// `full avg10` of the memory PSI, in percent: the share of the last 10 s in which every non-idle task
    /// stalled on memory at once.
    package var psiFullAvg10: Double?
    /// Bytes charged to the pool cgroup (v1 `memory.usage_in_bytes`, v2 `memory.current`).
    package var cgroupUsageBytes: UInt64?
    /// The pool cgroup's hard limit in bytes; `nil` when there is no cgroup or it has no limit.
    package var cgroupLimitBytes: UInt64?
    /// `MemAvailable` from `/proc/meminfo`, in bytes: what the kernel estimates it can hand out without
    /// swapping.
    package var memAvailableBytes: UInt64?
    /// `MemTotal` from `/proc/meminfo`, in bytes.
    package var memTotalBytes: UInt64?

    /// Creates a reading; every signal defaults to "not read".
    package init(
        psiSomeAvg10: Double? = nil,
        psiFullAvg10: Double? = nil,
        cgroupUsageBytes: UInt64? = nil,
        cgroupLimitBytes: UInt64? = nil,
        memAvailableBytes: UInt64? = nil,
        memTotalBytes: UInt64? = nil
    ) {
        self.psiSomeAvg10 = psiSomeAvg10
        self.psiFullAvg10 = psiFullAvg10
        self.cgroupUsageBytes = cgroupUsageBytes
        self.cgroupLimitBytes = cgroupLimitBytes
        self.memAvailableBytes = memAvailableBytes
        self.memTotalBytes = memTotalBytes
    }

    /// Usage as a fraction of the limit (may exceed 1 briefly), or `nil` without both numbers or with a zero
    /// limit.
    ///
    /// ```swift
    /// MemoryPressureReading(cgroupUsageBytes: 48 << 20, cgroupLimitBytes: 64 << 20).cgroupUsageFraction  // 0.75
    /// ```
    package var cgroupUsageFraction: Double? {
        guard let usage = cgroupUsageBytes, let limit = cgroupLimitBytes, limit > 0 else { return nil }
        return Double(usage) / Double(limit)
    }

    /// `MemAvailable` as a fraction of `MemTotal`, or `nil` without both numbers or with a zero total.
    package var memAvailableFraction: Double? {
        guard let available = memAvailableBytes, let total = memTotalBytes, total > 0 else { return nil }
        return Double(available) / Double(total)
    }
}

// MARK: - Parsed file contents

/// The averages and total of one PSI line (`some` or `full`).
///
/// ```swift
/// let stats = MemoryPressureReading.parsePressure("some avg10=1.50 avg60=0.20 avg300=0.00 total=1234")
/// stats.some?.avg10  // 1.5
/// ```
package struct PressureStallLine: Sendable, Codable, Equatable {
    /// Percent of the last 10 s stalled.
    package var avg10: Double
    /// Percent of the last 60 s stalled.
    package var avg60: Double
    /// Percent of the last 300 s stalled.
    package var avg300: Double
    /// Total stall time since boot (or since the cgroup was created), in microseconds.
    package var totalMicroseconds: UInt64

    /// Creates a line from its four numbers.
    package init(avg10: Double, avg60: Double, avg300: Double, totalMicroseconds: UInt64) {
        self.avg10 = avg10
        self.avg60 = avg60
        self.avg300 = avg300
        self.totalMicroseconds = totalMicroseconds
    }
}

/// The contents of a PSI file: `/proc/pressure/memory` or a cgroup v2 `memory.pressure`.
///
/// Either line may be absent: a reader should not refuse the whole file because one line is missing or
/// malformed (older kernels have no `full` line in `/proc/pressure/cpu`, and the format may grow).
///
/// ```swift
/// let psi = MemoryPressureReading.parsePressure(try String(contentsOfFile: "/proc/pressure/memory", encoding: .utf8))
/// if let full = psi.full, full.avg10 > 5 { print("everything stalled on memory \(full.avg10) % of the last 10 s") }
/// ```
package struct PressureStallInformation: Sendable, Codable, Equatable {
    /// The `some` line: at least one task stalled.
    package var some: PressureStallLine?
    /// The `full` line: all non-idle tasks stalled at once.
    package var full: PressureStallLine?

    /// Creates the contents from its two lines.
    package init(some: PressureStallLine? = nil, full: PressureStallLine? = nil) {
        self.some = some
        self.full = full
    }
}

/// A memory limit as a cgroup reports it: a number of bytes, or none at all.
///
/// ```swift
/// switch try cgroup.limit() {
/// case .unlimited: print("no limit")
/// case .bytes(let bytes): print("limit \(bytes >> 20) MiB")
/// }
/// ```
package enum MemoryLimit: Sendable, Codable, Equatable, CustomStringConvertible {
    /// No limit is set (v2 `max`; v1 a page-rounded `Int64.max` or anything ≥ 2^62).
    case unlimited
    /// A limit of this many bytes.
    case bytes(UInt64)

    /// The limit in bytes, `nil` when unlimited.
    package var bytes: UInt64? {
        switch self {
        case .unlimited: nil
        case .bytes(let bytes): bytes
        }
    }

    package var description: String {
        switch self {
        case .unlimited: "unlimited"
        case .bytes(let bytes): "\(bytes) bytes"
        }
    }
}

// MARK: - Parsers

extension MemoryPressureReading {
    /// Any v1 limit at or above this many bytes means "no limit".
    ///
    /// Why a threshold rather than one magic number: v1 reports its "unlimited" as `Int64.max` rounded down to
    /// the page size (9223372036854771712 with 4 KiB pages), which differs with the page size, and no real
    /// machine has 4 EiB of memory.
    package static let unlimitedThreshold: UInt64 = 1 << 62

    /// Parses a PSI file: `/proc/pressure/memory`, or a cgroup v2 `memory.pressure` (same format).
    ///
    /// ```swift
    /// let psi = MemoryPressureReading.parsePressure(
    ///     "some avg10=12.50 avg60=3.00 avg300=0.50 total=987654\nfull avg10=2.00 avg60=0.10 avg300=0.00 total=1234\n"
    /// )
    /// psi.some?.avg10  // 12.5
    /// psi.full?.totalMicroseconds  // 1234
    /// ```
    ///
    /// - Parameter text: the file's contents.
    /// - Returns: the lines that parsed; a line with a missing or malformed field is left out rather than
    ///   guessed at.
    package static func parsePressure(_ text: String) -> PressureStallInformation {
        var result = PressureStallInformation()
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let kind = words.first else { continue }
            var fields: [Substring: Substring] = [:]
            for word in words.dropFirst() {
                guard let equals = word.firstIndex(of: "=") else { continue }
                fields[word[..<equals]] = word[word.index(after: equals)...]
            }
            guard let avg10 = fields["avg10"].flatMap({ Double($0) }),
                let avg60 = fields["avg60"].flatMap({ Double($0) }),
                let avg300 = fields["avg300"].flatMap({ Double($0) }),
                let total = fields["total"].flatMap({ UInt64($0) })
            else { continue }
            let parsed = PressureStallLine(avg10: avg10, avg60: avg60, avg300: avg300, totalMicroseconds: total)
            switch kind {
            case "some": result.some = parsed
            case "full": result.full = parsed
            default: continue
            }
        }
        return result
    }

    /// Parses `/proc/meminfo` into a table from field name to value.
    ///
    /// Values with a `kB` unit are converted to bytes (the kernel's "kB" is KiB); values without a unit, such
    /// as `HugePages_Total`, are counts and are kept as written.
    ///
    /// ```swift
    /// let info = MemoryPressureReading.parseMeminfo("MemTotal:       16384 kB\nMemAvailable:    4096 kB\n")
    /// info["MemAvailable"]  // 4_194_304
    /// ```
    ///
    /// - Parameter text: the file's contents.
    /// - Returns: every line that had a name and a number.
    package static func parseMeminfo(_ text: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingSpaces
            let words = line[line.index(after: colon)...].split(separator: " ", omittingEmptySubsequences: true)
            guard let number = words.first.flatMap({ UInt64($0) }) else { continue }
            if words.count > 1, words[1] == "kB" {
                let (bytes, overflow) = number.multipliedReportingOverflow(by: 1024)
                guard !overflow else { continue }
                result[String(name)] = bytes
            } else {
                result[String(name)] = number
            }
        }
        return result
    }

    /// Parses a file that holds one byte count: v1 `memory.usage_in_bytes`, `memory.failcnt`, v2
    /// `memory.current`.
    ///
    /// ```swift
    /// MemoryPressureReading.parseCgroupBytes("10321920\n")  // 10321920
    /// ```
    ///
    /// - Parameter text: the file's contents.
    /// - Returns: the number, or `nil` when the text is not one unsigned integer.
    package static func parseCgroupBytes(_ text: String) -> UInt64? {
        UInt64(text.trimmingSpaces)
    }

    /// Parses a cgroup v1 `memory.limit_in_bytes`.
    ///
    /// ```swift
    /// MemoryPressureReading.parseCgroupV1Limit("67108864\n")  // .bytes(67108864)
    /// MemoryPressureReading.parseCgroupV1Limit("9223372036854771712\n")  // .unlimited
    /// ```
    ///
    /// - Parameter text: the file's contents.
    /// - Returns: the limit, `.unlimited` for any value ≥ ``unlimitedThreshold``, `nil` when unparseable.
    package static func parseCgroupV1Limit(_ text: String) -> MemoryLimit? {
        guard let bytes = parseCgroupBytes(text) else { return nil }
        return bytes >= unlimitedThreshold ? .unlimited : .bytes(bytes)
    }

    /// Parses a cgroup v2 `memory.max` (or `memory.high`).
    ///
    /// ```swift
    /// MemoryPressureReading.parseCgroupV2Max("max\n")  // .unlimited
    /// MemoryPressureReading.parseCgroupV2Max("67108864\n")  // .bytes(67108864)
    /// ```
    ///
    /// - Parameter text: the file's contents.
    /// - Returns: the limit, `.unlimited` for `max`, `nil` when unparseable.
    package static func parseCgroupV2Max(_ text: String) -> MemoryLimit? {
        let trimmed = text.trimmingSpaces
        if trimmed == "max" { return .unlimited }
        return parseCgroupV1Limit(String(trimmed))
    }

    /// Parses a flat-keyed cgroup file, one `name value` pair a line: v2 `memory.events`, `memory.stat`, v1
    /// `memory.oom_control`.
    ///
    /// ```swift
    /// let events = MemoryPressureReading.parseFlatKeyed("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n")
    /// events["oom_kill"]  // 1
    /// ```
    ///
    /// - Parameter text: the file's contents.
    /// - Returns: every pair whose value is an unsigned integer.
    package static func parseFlatKeyed(_ text: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count == 2, let value = UInt64(words[1]) else { continue }
            result[String(words[0])] = value
        }
        return result
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and newlines; kept here so the parsers need no
    /// Foundation.
    var trimmingSpaces: SubSequence {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0.isNewline }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) })
        else { return self[endIndex...] }
        return self[first...last]
    }
}
