import Foundation
import SnapshotPool
import Synchronization
import TestSupport
import Testing

// MARK: - Parsers

@Suite("Pressure file parsers")
struct PressureParserTests {
    @Test("PSI: both lines, every field")
    func psiBothLines() {
        let psi = MemoryPressureReading.parsePressure(
            """
            some avg10=12.50 avg60=3.00 avg300=0.51 total=987654
            full avg10=2.25 avg60=0.10 avg300=0.00 total=1234

            """
        )
        #expect(psi.some == PressureStallLine(avg10: 12.5, avg60: 3, avg300: 0.51, totalMicroseconds: 987_654))
        #expect(psi.full == PressureStallLine(avg10: 2.25, avg60: 0.1, avg300: 0, totalMicroseconds: 1234))
    }

    @Test("PSI: the idle file of this machine's kernel format")
    func psiIdle() {
        let psi = MemoryPressureReading.parsePressure(
            "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
        )
        #expect(psi.some?.avg10 == 0)
        #expect(psi.full?.totalMicroseconds == 0)
    }

    @Test(
        "PSI: a malformed or unknown line is left out, the rest kept",
        arguments: [
            "some avg10=x avg60=0.00 avg300=0.00 total=0\nfull avg10=1.00 avg60=0.00 avg300=0.00 total=5",
            "some avg10=1.0 avg60=0.00 total=0\nfull avg10=1.00 avg60=0.00 avg300=0.00 total=5",
            "half avg10=9.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=1.00 avg60=0.00 avg300=0.00 total=5",
            "  full   avg10=1.00  avg60=0.00 avg300=0.00   total=5  ",
        ]
    )
    func psiMalformed(text: String) {
        let psi = MemoryPressureReading.parsePressure(text)
        #expect(psi.some == nil)
        #expect(psi.full?.avg10 == 1)
        #expect(psi.full?.totalMicroseconds == 5)
    }

    @Test("PSI: empty text has neither line")
    func psiEmpty() {
        #expect(MemoryPressureReading.parsePressure("") == PressureStallInformation())
    }

    @Test("meminfo: kB lines become bytes, unitless lines stay counts, junk is skipped")
    func meminfo() {
        let info = MemoryPressureReading.parseMeminfo(
            """
            MemTotal:       24576000 kB
            MemFree:         1000000 kB
            MemAvailable:    4915200 kB
            HugePages_Total:       4
            Broken line without colon
            Weird:         notanumber kB
            """
        )
        #expect(info["MemTotal"] == 24_576_000 * 1024)
        #expect(info["MemAvailable"] == 4_915_200 * 1024)
        #expect(info["HugePages_Total"] == 4)
        #expect(info["Weird"] == nil)
        #expect(info.count == 4)
    }

    @Test("meminfo: this machine's real file has MemTotal and MemAvailable")
    func meminfoReal() throws {
        let text = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        let info = MemoryPressureReading.parseMeminfo(text)
        let total = try #require(info["MemTotal"])
        let available = try #require(info["MemAvailable"])
        #expect(total > 0)
        #expect(available <= total)
    }

    @Test("cgroup byte counts")
    func bytes() {
        #expect(MemoryPressureReading.parseCgroupBytes("10321920\n") == 10_321_920)
        #expect(MemoryPressureReading.parseCgroupBytes("  0 ") == 0)
        #expect(MemoryPressureReading.parseCgroupBytes("") == nil)
        #expect(MemoryPressureReading.parseCgroupBytes("-1") == nil)
        #expect(MemoryPressureReading.parseCgroupBytes("12 34") == nil)
    }

    @Test(
        "cgroup v1 limit: ≥ 2^62 is no limit",
        arguments: [
            ("67108864\n", MemoryLimit.bytes(67_108_864)),
            ("9223372036854771712\n", .unlimited),  // Int64.max rounded down to 4 KiB pages
            ("9223372036854710272\n", .unlimited),  // the same with 64 KiB pages
            ("4611686018427387904", .unlimited),  // exactly 2^62
            ("4611686018427387903", .bytes(4_611_686_018_427_387_903)),
            ("0", .bytes(0)),
        ]
    )
    func v1Limit(text: String, expected: MemoryLimit) {
        #expect(MemoryPressureReading.parseCgroupV1Limit(text) == expected)
    }

    @Test("cgroup v1 limit: unparseable text is nil, not unlimited")
    func v1LimitJunk() {
        #expect(MemoryPressureReading.parseCgroupV1Limit("max") == nil)
        #expect(MemoryPressureReading.parseCgroupV1Limit("") == nil)
    }

    @Test(
        "cgroup v2 memory.max: max is no limit",
        arguments: [
            ("max\n", MemoryLimit.unlimited),
            ("67108864\n", .bytes(67_108_864)),
            ("9223372036854771712", .unlimited),
        ]
    )
    func v2Max(text: String, expected: MemoryLimit) {
        #expect(MemoryPressureReading.parseCgroupV2Max(text) == expected)
    }

    @Test("cgroup v2 memory.max: junk is nil")
    func v2MaxJunk() {
        #expect(MemoryPressureReading.parseCgroupV2Max("maximum") == nil)
        #expect(MemoryPressureReading.parseCgroupV2Max("") == nil)
    }

    @Test("flat-keyed files: v2 memory.events and v1 memory.oom_control")
    func flatKeyed() {
        let events = MemoryPressureReading.parseFlatKeyed(
            "low 0\nhigh 3\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n"
        )
        #expect(events["max"] == 12)
        #expect(events["oom_kill"] == 1)
        #expect(events.count == 6)
        let oom = MemoryPressureReading.parseFlatKeyed("oom_kill_disable 0\nunder_oom 0\noom_kill 2\nbad line here\n")
        #expect(oom == ["oom_kill_disable": 0, "under_oom": 0, "oom_kill": 2])
    }

    @Test("MemoryLimit exposes its bytes and describes itself")
    func memoryLimit() {
        #expect(MemoryLimit.bytes(5).bytes == 5)
        #expect(MemoryLimit.unlimited.bytes == nil)
        #expect("\(MemoryLimit.unlimited)" == "unlimited")
        #expect("\(MemoryLimit.bytes(5))" == "5 bytes")
    }
}

// MARK: - Readings and sources

@Suite("Pressure readings and the system source")
struct PressureSourceTests {
    @Test("derived fractions need both numbers and a non-zero denominator")
    func fractions() {
        let reading = MemoryPressureReading(
            cgroupUsageBytes: 48,
            cgroupLimitBytes: 64,
            memAvailableBytes: 5,
            memTotalBytes: 100
        )
        #expect(reading.cgroupUsageFraction == 0.75)
        #expect(reading.memAvailableFraction == 0.05)
        #expect(MemoryPressureReading(cgroupUsageBytes: 1).cgroupUsageFraction == nil)
        #expect(MemoryPressureReading(cgroupUsageBytes: 1, cgroupLimitBytes: 0).cgroupUsageFraction == nil)
        #expect(MemoryPressureReading(memAvailableBytes: 1, memTotalBytes: 0).memAvailableFraction == nil)
    }

    @Test("a reading survives a JSON round trip, nil signals included")
    func codable() throws {
        let reading = MemoryPressureReading(psiSomeAvg10: 1.5, cgroupUsageBytes: 7, memTotalBytes: 9)
        let decoded = try JSONDecoder().decode(
            MemoryPressureReading.self,
            from: try JSONEncoder().encode(reading)
        )
        #expect(decoded == reading)
    }

    /// Writes a fake /proc and /sys tree and returns its root.
    private func fakeRoot(_ files: [String: String]) throws -> String {
        let root = try TestEnvironment.scratchDirectory()
        for (path, text) in files {
            let url = URL(fileURLWithPath: root + path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try Data(text.utf8).write(to: url)
        }
        return root
    }

    private let meminfo = "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    250 kB\n"
    private let systemPSI = "some avg10=3.00 avg60=0 avg300=0 total=1\nfull avg10=1.00 avg60=0 avg300=0 total=1\n"

    @Test("host only: meminfo and system PSI, no cgroup numbers")
    func hostOnly() throws {
        let root = try fakeRoot(["/proc/meminfo": meminfo, "/proc/pressure/memory": systemPSI])
        defer { TestEnvironment.remove(root) }
        let reading = SystemPressureSource(root: root).read()
        #expect(
            reading
                == MemoryPressureReading(
                    psiSomeAvg10: 3,
                    psiFullAvg10: 1,
                    memAvailableBytes: 250 * 1024,
                    memTotalBytes: 1000 * 1024
                )
        )
    }

    @Test("v1 cgroup: usage and limit from the v1 files, PSI from the system")
    func v1Cgroup() throws {
        let cgroup = "/sys/fs/cgroup/memory/snapbench-1-a"
        let root = try fakeRoot([
            "/proc/meminfo": meminfo,
            "/proc/pressure/memory": systemPSI,
            cgroup + "/memory.usage_in_bytes": "4096\n",
            cgroup + "/memory.limit_in_bytes": "67108864\n",
        ])
        defer { TestEnvironment.remove(root) }
        let reading = SystemPressureSource(root: root, cgroup: CgroupLocation(version: .v1, path: cgroup)).read()
        #expect(reading.cgroupUsageBytes == 4096)
        #expect(reading.cgroupLimitBytes == 64 << 20)
        #expect(reading.psiSomeAvg10 == 3)
    }

    @Test("v1 cgroup without a limit: usage is read, the limit is nil")
    func v1Unlimited() throws {
        let cgroup = "/sys/fs/cgroup/memory/pool"
        let root = try fakeRoot([
            cgroup + "/memory.usage_in_bytes": "8192\n",
            cgroup + "/memory.limit_in_bytes": "9223372036854771712\n",
        ])
        defer { TestEnvironment.remove(root) }
        let reading = SystemPressureSource(root: root, cgroup: CgroupLocation(version: .v1, path: cgroup)).read()
        #expect(reading.cgroupUsageBytes == 8192)
        #expect(reading.cgroupLimitBytes == nil)
        #expect(reading.cgroupUsageFraction == nil)
    }

    @Test("v2 cgroup: memory.current, memory.max and the cgroup's own memory.pressure win over the system's")
    func v2Cgroup() throws {
        let cgroup = "/sys/fs/cgroup/pool"
        let root = try fakeRoot([
            "/proc/meminfo": meminfo,
            "/proc/pressure/memory": systemPSI,
            cgroup + "/memory.current": "1024\n",
            cgroup + "/memory.max": "2048\n",
            cgroup + "/memory.pressure":
                "some avg10=42.00 avg60=0 avg300=0 total=9\nfull avg10=20.00 avg60=0 avg300=0 total=9\n",
        ])
        defer { TestEnvironment.remove(root) }
        let reading = SystemPressureSource(root: root, cgroup: CgroupLocation(version: .v2, path: cgroup)).read()
        #expect(reading.cgroupUsageBytes == 1024)
        #expect(reading.cgroupLimitBytes == 2048)
        #expect(reading.psiSomeAvg10 == 42)
        #expect(reading.psiFullAvg10 == 20)
        #expect(reading.memAvailableBytes == 250 * 1024)
    }

    @Test("v2 cgroup with max and no pressure file: no limit, PSI falls back to the system file")
    func v2Fallback() throws {
        let cgroup = "/sys/fs/cgroup/pool"
        let root = try fakeRoot([
            "/proc/pressure/memory": systemPSI,
            cgroup + "/memory.current": "1024\n",
            cgroup + "/memory.max": "max\n",
        ])
        defer { TestEnvironment.remove(root) }
        let reading = SystemPressureSource(root: root, cgroup: CgroupLocation(version: .v2, path: cgroup)).read()
        #expect(reading.cgroupLimitBytes == nil)
        #expect(reading.psiSomeAvg10 == 3)
    }

    @Test("nothing readable: every signal is nil, nothing throws")
    func nothing() throws {
        let root = try TestEnvironment.scratchDirectory()
        defer { TestEnvironment.remove(root) }
        let source = SystemPressureSource(root: root, cgroup: CgroupLocation(version: .v1, path: "/nope"))
        #expect(source.read() == MemoryPressureReading())
    }

    @Test("the real files of this machine: meminfo and PSI are present")
    func realSystem() throws {
        let reading = SystemPressureSource().read()
        let total = try #require(reading.memTotalBytes)
        #expect(total > 1 << 30)
        #expect(reading.memAvailableBytes != nil)
        // PSI is compiled into this kernel (/proc/pressure/memory exists); elsewhere it may be nil.
        if FileManager.default.fileExists(atPath: "/proc/pressure/memory") {
            #expect(reading.psiSomeAvg10 != nil)
            #expect(reading.psiFullAvg10 != nil)
        }
        #expect(reading.cgroupUsageBytes == nil)
    }
}

// MARK: - Levels and thresholds

/// Readings on the PSI scale with the default thresholds (elevated 10, critical 40, recovery × 0.8), named by
/// what they mean, so transition tables read as prose.
private enum PSI {
    /// Below every recovery threshold.
    static let calm = MemoryPressureReading(psiSomeAvg10: 1)
    /// Below the elevated threshold (10) but above its recovery threshold (8): holds elevated.
    static let holdsElevated = MemoryPressureReading(psiSomeAvg10: 9)
    /// Above the elevated threshold, below critical's recovery threshold (32).
    static let elevated = MemoryPressureReading(psiSomeAvg10: 20)
    /// Below the critical threshold (40) but above its recovery threshold (32): holds critical.
    static let holdsCritical = MemoryPressureReading(psiSomeAvg10: 35)
    /// Above the critical threshold.
    static let critical = MemoryPressureReading(psiSomeAvg10: 50)

    static func named(_ name: String) -> MemoryPressureReading {
        switch name {
        case "calm": calm
        case "holdsElevated": holdsElevated
        case "elevated": elevated
        case "holdsCritical": holdsCritical
        default: critical
        }
    }
}

@Suite("Pressure levels and thresholds")
struct PressureThresholdTests {
    @Test("levels order normal < elevated < critical and encode as their names")
    func ordering() throws {
        #expect(PressureLevel.normal < .elevated)
        #expect(PressureLevel.elevated < .critical)
        #expect(PressureLevel.allCases.sorted() == [.normal, .elevated, .critical])
        #expect(max(PressureLevel.critical, .normal) == .critical)
        let json = String(decoding: try JSONEncoder().encode([PressureLevel.elevated]), as: UTF8.self)
        #expect(json == "[\"elevated\"]")
        #expect(try JSONDecoder().decode(PressureLevel.self, from: Data("\"critical\"".utf8)) == .critical)
        #expect("\(PressureLevel.normal)" == "normal")
    }

    @Test("the defaults are the documented ones")
    func defaults() {
        let thresholds = PressureThresholds()
        #expect(thresholds.psiSomeElevated == 10)
        #expect(thresholds.psiSomeCritical == 40)
        #expect(thresholds.cgroupUsageElevated == 0.80)
        #expect(thresholds.cgroupUsageCritical == 0.95)
        #expect(thresholds.memAvailableElevated == 0.20)
        #expect(thresholds.memAvailableCritical == 0.05)
        #expect(thresholds.recoveryFactor == 0.8)
        #expect(thresholds.calmReadingsToRecover == 3)
    }

    static let singleSignals: [(MemoryPressureReading, PressureLevel, PressureLevel)] = [
        // PSI some avg10, percent: elevated ≥ 10, critical ≥ 40; recovery at 8 and 32.
        (MemoryPressureReading(psiSomeAvg10: 0), PressureLevel.normal, PressureLevel.normal),
        (MemoryPressureReading(psiSomeAvg10: 7.9), .normal, .normal),
        (MemoryPressureReading(psiSomeAvg10: 8), .normal, .elevated),
        (MemoryPressureReading(psiSomeAvg10: 10), .elevated, .elevated),
        (MemoryPressureReading(psiSomeAvg10: 31.9), .elevated, .elevated),
        (MemoryPressureReading(psiSomeAvg10: 32), .elevated, .critical),
        (MemoryPressureReading(psiSomeAvg10: 40), .critical, .critical),
        (MemoryPressureReading(psiSomeAvg10: 100), .critical, .critical),
        // cgroup usage ÷ limit: elevated ≥ 0.80, critical ≥ 0.95; recovery at 0.64 and 0.76.
        (MemoryPressureReading(cgroupUsageBytes: 63, cgroupLimitBytes: 100), .normal, .normal),
        (MemoryPressureReading(cgroupUsageBytes: 70, cgroupLimitBytes: 100), .normal, .elevated),
        // With the defaults, critical's recovery point (0.76) lies below elevated's threshold (0.80): any
        // elevated usage still holds critical, so leaving critical needs usage below 0.76.
        (MemoryPressureReading(cgroupUsageBytes: 80, cgroupLimitBytes: 100), .elevated, .critical),
        (MemoryPressureReading(cgroupUsageBytes: 90, cgroupLimitBytes: 100), .elevated, .critical),
        (MemoryPressureReading(cgroupUsageBytes: 95, cgroupLimitBytes: 100), .critical, .critical),
        (MemoryPressureReading(cgroupUsageBytes: 120, cgroupLimitBytes: 100), .critical, .critical),
        (MemoryPressureReading(cgroupUsageBytes: 99), .normal, .normal),  // no limit: not a signal
        // MemAvailable ÷ MemTotal: elevated < 0.20, critical < 0.05; recovery at 0.25 and 0.0625.
        (MemoryPressureReading(memAvailableBytes: 50, memTotalBytes: 100), .normal, .normal),
        (MemoryPressureReading(memAvailableBytes: 26, memTotalBytes: 100), .normal, .normal),
        (MemoryPressureReading(memAvailableBytes: 22, memTotalBytes: 100), .normal, .elevated),
        (MemoryPressureReading(memAvailableBytes: 20, memTotalBytes: 100), .normal, .elevated),
        (MemoryPressureReading(memAvailableBytes: 19, memTotalBytes: 100), .elevated, .elevated),
        (MemoryPressureReading(memAvailableBytes: 6, memTotalBytes: 100), .elevated, .critical),
        (MemoryPressureReading(memAvailableBytes: 4, memTotalBytes: 100), .critical, .critical),
        (MemoryPressureReading(memAvailableBytes: 0, memTotalBytes: 100), .critical, .critical),
        // nothing known: normal
        (MemoryPressureReading(), .normal, .normal),
    ]

    @Test("each signal alone: entering level and recovery level", arguments: singleSignals)
    func singleSignal(reading: MemoryPressureReading, entering: PressureLevel, recovery: PressureLevel) {
        let thresholds = PressureThresholds()
        #expect(thresholds.level(for: reading) == entering)
        #expect(thresholds.recoveryLevel(for: reading) == recovery)
    }

    @Test("the worst signal wins")
    func worstWins() {
        let thresholds = PressureThresholds()
        let reading = MemoryPressureReading(
            psiSomeAvg10: 0,
            cgroupUsageBytes: 85,
            cgroupLimitBytes: 100,
            memAvailableBytes: 1,
            memTotalBytes: 100
        )
        #expect(thresholds.level(for: reading) == .critical)
        var onlyUsage = reading
        onlyUsage.memAvailableBytes = 90
        #expect(thresholds.level(for: onlyUsage) == .elevated)
    }

    @Test("a recovery factor of 1 means no margin; out-of-range factors are clamped")
    func recoveryFactorEdges() {
        var thresholds = PressureThresholds(recoveryFactor: 1)
        #expect(thresholds.recoveryLevel(for: MemoryPressureReading(psiSomeAvg10: 9.99)) == .normal)
        thresholds.recoveryFactor = 3  // clamped to 1
        #expect(thresholds.recoveryLevel(for: MemoryPressureReading(psiSomeAvg10: 9.99)) == .normal)
        thresholds.recoveryFactor = 0  // clamped to the smallest positive: everything but 0 holds critical
        #expect(thresholds.recoveryLevel(for: MemoryPressureReading(psiSomeAvg10: 0.001)) == .critical)
    }
}

// MARK: - Classifier

@Suite("Pressure classifier hysteresis")
struct PressureClassifierTests {
    /// Every (level, reading) pair, with one calm reading enough to drop (N = 1), and the level after it.
    static let transitions: [(PressureLevel, String, PressureLevel)] = [
        (.normal, "calm", .normal),
        (.normal, "holdsElevated", .normal),
        (.normal, "elevated", .elevated),
        (.normal, "holdsCritical", .elevated),
        (.normal, "critical", .critical),
        (.elevated, "calm", .normal),
        (.elevated, "holdsElevated", .elevated),
        (.elevated, "elevated", .elevated),
        (.elevated, "holdsCritical", .elevated),
        (.elevated, "critical", .critical),
        (.critical, "calm", .normal),
        (.critical, "holdsElevated", .elevated),
        (.critical, "elevated", .elevated),
        (.critical, "holdsCritical", .critical),
        (.critical, "critical", .critical),
    ]

    @Test("every transition with N = 1", arguments: transitions)
    func singleStep(from: PressureLevel, reading: String, to: PressureLevel) {
        var classifier = PressureClassifier(
            thresholds: PressureThresholds(calmReadingsToRecover: 1),
            initialLevel: from
        )
        #expect(classifier.classify(PSI.named(reading)) == to)
        #expect(classifier.level == to)
        #expect(classifier.calmReadings == 0)
    }

    @Test("every transition with N = 3: rises at once, falls only on the third calm reading", arguments: transitions)
    func threeSteps(from: PressureLevel, reading: String, to: PressureLevel) {
        var classifier = PressureClassifier(initialLevel: from)
        let first = classifier.classify(PSI.named(reading))
        if to > from {
            #expect(first == to)
            return
        }
        #expect(first == from)
        #expect(classifier.classify(PSI.named(reading)) == from)
        #expect(classifier.calmReadings == (to < from ? 2 : 0))
        #expect(classifier.classify(PSI.named(reading)) == to)
        #expect(classifier.calmReadings == 0)
    }

    @Test("N = 0 behaves like N = 1")
    func zeroCalmReadings() {
        var classifier = PressureClassifier(
            thresholds: PressureThresholds(calmReadingsToRecover: 0),
            initialLevel: .critical
        )
        #expect(classifier.classify(PSI.calm) == .normal)
    }

    @Test("a reading that is not calm restarts the count")
    func interruptedStreak() {
        var classifier = PressureClassifier(initialLevel: .elevated)
        classifier.classify(PSI.calm)
        classifier.classify(PSI.calm)
        #expect(classifier.calmReadings == 2)
        #expect(classifier.classify(PSI.holdsElevated) == .elevated)
        #expect(classifier.calmReadings == 0)
        classifier.classify(PSI.calm)
        classifier.classify(PSI.calm)
        #expect(classifier.level == .elevated)
        #expect(classifier.classify(PSI.calm) == .normal)
    }

    @Test("a level hovering at its threshold never flaps")
    func hovering() {
        var classifier = PressureClassifier()
        var levels: [PressureLevel] = []
        for psi in [11.0, 9.0, 10.5, 8.5, 12.0, 9.9, 8.1, 10.0, 9.0, 8.0] {
            levels.append(classifier.classify(MemoryPressureReading(psiSomeAvg10: psi)))
        }
        #expect(levels == Array(repeating: PressureLevel.elevated, count: 10))
    }

    @Test("critical steps down through elevated when the calm streak still holds elevated")
    func stepsDown() {
        var classifier = PressureClassifier(initialLevel: .critical)
        var levels: [PressureLevel] = []
        for reading in [PSI.calm, PSI.elevated, PSI.calm] { levels.append(classifier.classify(reading)) }
        #expect(levels == [.critical, .critical, .elevated])
        for _ in 0..<2 { #expect(classifier.classify(PSI.calm) == .elevated) }
        #expect(classifier.classify(PSI.calm) == .normal)
    }

    @Test("critical falls straight to normal when every calm reading was normal")
    func fallsStraight() {
        var classifier = PressureClassifier()
        #expect(classifier.classify(PSI.critical) == .critical)
        #expect(classifier.classify(PSI.calm) == .critical)
        #expect(classifier.classify(PSI.calm) == .critical)
        #expect(classifier.classify(PSI.calm) == .normal)
    }

    @Test("rising interrupts a falling streak and rises immediately")
    func risesDuringStreak() {
        var classifier = PressureClassifier(initialLevel: .elevated)
        classifier.classify(PSI.calm)
        classifier.classify(PSI.calm)
        #expect(classifier.classify(PSI.critical) == .critical)
        #expect(classifier.calmReadings == 0)
    }

    @Test("recovery needs every signal calm: one signal still above its recovery threshold holds the level")
    func allSignalsMustBeCalm() {
        var classifier = PressureClassifier(thresholds: PressureThresholds(calmReadingsToRecover: 1))
        let bad = MemoryPressureReading(psiSomeAvg10: 1, memAvailableBytes: 10, memTotalBytes: 100)
        #expect(classifier.classify(bad) == .elevated)
        // PSI calm, MemAvailable at 22 %: above its threshold (20 %) but below its recovery point (25 %).
        let halfway = MemoryPressureReading(psiSomeAvg10: 1, memAvailableBytes: 22, memTotalBytes: 100)
        #expect(classifier.classify(halfway) == .elevated)
        let recovered = MemoryPressureReading(psiSomeAvg10: 1, memAvailableBytes: 30, memTotalBytes: 100)
        #expect(classifier.classify(recovered) == .normal)
    }

    @Test("a reading with no signals counts as calm")
    func emptyReadingIsCalm() {
        var classifier = PressureClassifier(thresholds: PressureThresholds(calmReadingsToRecover: 2))
        classifier.classify(PSI.critical)
        classifier.classify(MemoryPressureReading())
        #expect(classifier.classify(MemoryPressureReading()) == .normal)
    }

    @Test("changed thresholds apply from the next reading")
    func changedThresholds() {
        var classifier = PressureClassifier()
        #expect(classifier.classify(MemoryPressureReading(psiSomeAvg10: 20)) == .elevated)
        classifier.thresholds.psiSomeCritical = 15
        #expect(classifier.classify(MemoryPressureReading(psiSomeAvg10: 20)) == .critical)
    }
}

// MARK: - Monitor

/// A source that returns scripted readings in order, then repeats the last one, and counts its reads.
private final class ScriptedSource: MemoryPressureSource {
    private let state: Mutex<(script: [MemoryPressureReading], reads: Int)>

    init(_ script: [MemoryPressureReading]) {
        state = Mutex((script, 0))
    }

    var reads: Int { state.withLock { $0.reads } }

    func read() -> MemoryPressureReading {
        state.withLock { state in
            state.reads += 1
            guard state.script.count > 1 else { return state.script.first ?? MemoryPressureReading() }
            return state.script.removeFirst()
        }
    }
}

@Suite("Memory pressure monitor on a manual clock", .timeLimit(.minutes(1)))
struct MemoryPressureMonitorTests {
    private func at(_ seconds: Int) -> ManualClock.Instant {
        ManualClock.Instant(offset: .seconds(seconds))
    }

    @Test("reads once per interval and publishes exactly the level changes, stamped on the clock")
    func changesOverTime() async {
        let clock = ManualClock()
        let script = [
            PSI.calm, PSI.calm, PSI.elevated, PSI.elevated, PSI.critical, PSI.calm, PSI.calm, PSI.calm,
        ]
        let source = ScriptedSource(script)
        let monitor = MemoryPressureMonitor(source: source, clock: clock, interval: .seconds(1))
        await withTaskGroup { group in
            group.addTask { await monitor.run() }
            var levels: [PressureLevel] = []
            for second in 0..<script.count {
                await clock.waitForSleepers()  // the reading at `second` is done and the monitor sleeps
                #expect(source.reads == second + 1)
                #expect(clock.now == at(second))
                levels.append(monitor.level)
                clock.advance(by: .seconds(1))
            }
            await clock.waitForSleepers()
            group.cancelAll()
            #expect(
                levels == [.normal, .normal, .elevated, .elevated, .critical, .critical, .critical, .normal]
            )
        }
        var changes: [PressureChange<ManualClock.Instant>] = []
        for await change in monitor.changes { changes.append(change) }  // finished by run() returning
        #expect(
            changes == [
                PressureChange(from: .normal, to: .elevated, reading: PSI.elevated, at: at(2)),
                PressureChange(from: .elevated, to: .critical, reading: PSI.critical, at: at(4)),
                PressureChange(from: .critical, to: .normal, reading: PSI.calm, at: at(7)),
            ]
        )
        #expect(monitor.latestReading == PSI.calm)
    }

    @Test("the first reading happens at once, so starting under pressure is reported without waiting")
    func firstReadingImmediately() async {
        let clock = ManualClock()
        let monitor = MemoryPressureMonitor(source: ScriptedSource([PSI.critical]), clock: clock)
        #expect(monitor.latestReading == nil)
        await withTaskGroup { group in
            group.addTask { await monitor.run() }
            var changes = monitor.changes.makeAsyncIterator()
            let first = await changes.next()
            #expect(first == PressureChange(from: .normal, to: .critical, reading: PSI.critical, at: at(0)))
            group.cancelAll()
            #expect(await changes.next() == nil)
        }
    }

    @Test("init starts nothing: the source is untouched until run()")
    func initIsInert() async {
        let source = ScriptedSource([PSI.critical])
        let clock = ManualClock()
        let monitor = MemoryPressureMonitor(source: source, clock: clock, interval: .seconds(5))
        await Task.yield()
        #expect(source.reads == 0)
        #expect(clock.sleepCalls == 0)
        #expect(monitor.level == .normal)
    }

    @Test("a clock jump does not cause a burst of catch-up readings")
    func noBurstAfterJump() async {
        let clock = ManualClock()
        let source = ScriptedSource([PSI.calm])
        let monitor = MemoryPressureMonitor(source: source, clock: clock, interval: .seconds(1))
        await withTaskGroup { group in
            group.addTask { await monitor.run() }
            await clock.waitForSleepers()
            clock.advance(by: .milliseconds(5_500))
            await clock.waitForSleepers()
            #expect(source.reads == 2)
            // The next deadline is one interval after the late reading (t = 6.5 s), not on the old grid.
            clock.advance(by: .milliseconds(900))
            #expect(clock.pendingSleeps == 1)
            clock.advance(by: .milliseconds(100))
            await clock.waitForSleepers()
            #expect(source.reads == 3)
            group.cancelAll()
        }
    }

    @Test("run() is single-use: a second call returns at once and reads nothing")
    func singleUse() async {
        let clock = ManualClock()
        let source = ScriptedSource([PSI.calm])
        let monitor = MemoryPressureMonitor(source: source, clock: clock)
        await withTaskGroup { group in
            group.addTask { await monitor.run() }
            await clock.waitForSleepers()
            await monitor.run()  // returns immediately while the first is running
            #expect(source.reads == 1)
            group.cancelAll()
        }
        await monitor.run()  // and after it finished
        #expect(source.reads == 1)
        for await _ in monitor.changes { Issue.record("no change was expected") }
    }

    @Test("a run in an already-cancelled task reads nothing and finishes the stream")
    func cancelledBeforeStart() async {
        let clock = ManualClock()
        let source = ScriptedSource([PSI.elevated])
        let monitor = MemoryPressureMonitor(source: source, clock: clock)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await monitor.run()
        }
        await task.value
        #expect(source.reads == 0)
        for await _ in monitor.changes { Issue.record("no change was expected") }
    }
}
