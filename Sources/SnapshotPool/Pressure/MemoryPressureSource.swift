import HostSystem

/// Something that can take a ``MemoryPressureReading`` now.
///
/// The monitor depends on this protocol rather than on the files so that its timing and its state machine
/// can be tested with scripted readings.
///
/// ```swift
/// struct Fixed: MemoryPressureSource {
///     func read() -> MemoryPressureReading { MemoryPressureReading(psiSomeAvg10: 55) }
/// }
/// ```
package protocol MemoryPressureSource: Sendable {
    /// Takes one reading. Never throws: a signal that cannot be read is `nil` in the reading.
    func read() -> MemoryPressureReading
}

/// Which cgroup interface a cgroup directory speaks.
///
/// ```swift
/// let usageFile = version == .v1 ? "memory.usage_in_bytes" : "memory.current"
/// ```
package enum CgroupVersion: String, Sendable, Codable, Hashable {
    /// The legacy per-controller hierarchy (`memory.limit_in_bytes`, `memory.usage_in_bytes`).
    case v1
    /// The unified hierarchy (`memory.max`, `memory.current`, `memory.pressure`).
    case v2
}

/// A cgroup directory and the interface it speaks.
///
/// ```swift
/// let location = CgroupLocation(version: .v1, path: "/sys/fs/cgroup/memory/snapbench-4242-1a2b3c4d")
/// ```
package struct CgroupLocation: Sendable, Codable, Hashable {
    /// The interface of the directory's control files.
    package var version: CgroupVersion
    /// The absolute path of the cgroup directory.
    package var path: String

    /// Creates a location.
    package init(version: CgroupVersion, path: String) {
        self.version = version
        self.path = path
    }
}

/// Reads the real kernel files: `/proc/pressure/memory`, `/proc/meminfo` and, when given, a cgroup's files.
///
/// With a cgroup v2 location, the PSI values come from the cgroup's own `memory.pressure` (stalls of the
/// pool's VMMs, which the pool can act on), falling back to the system file when the cgroup has none. A v1
/// cgroup has no PSI file, so the system-wide one is used. `MemAvailable`/`MemTotal` are always the host's:
/// they are the signal that the host, not just the pool, is running out.
///
/// ```swift
/// let source = SystemPressureSource(cgroup: cgroup.location)
/// let reading = source.read()
/// print(reading.cgroupUsageFraction ?? 0)
///
/// // In tests, point it at a directory tree that mirrors /proc and /sys:
/// let fake = SystemPressureSource(root: "/tmp/fake-root")  // reads /tmp/fake-root/proc/meminfo, ...
/// ```
package struct SystemPressureSource: MemoryPressureSource {
    /// Prepended to every absolute path read (`""` for the real files); lets tests supply a fake tree.
    package var root: String
    /// The pool cgroup whose usage, limit and (v2) pressure are read; `nil` for host signals only.
    package var cgroup: CgroupLocation?

    /// Creates a source.
    ///
    /// - Parameters:
    ///   - root: a path prefix for every file read; `""` reads the real `/proc` and `/sys`.
    ///   - cgroup: the pool cgroup to read, if any.
    package init(root: String = "", cgroup: CgroupLocation? = nil) {
        self.root = root
        self.cgroup = cgroup
    }

    package func read() -> MemoryPressureReading {
        var reading = MemoryPressureReading()
        let meminfo = SystemFile.readIfPresent(root + "/proc/meminfo").map(MemoryPressureReading.parseMeminfo)
        reading.memAvailableBytes = meminfo?["MemAvailable"]
        reading.memTotalBytes = meminfo?["MemTotal"]

        var psi: PressureStallInformation?
        if let cgroup {
            let directory = root + cgroup.path
            let limit: MemoryLimit?
            switch cgroup.version {
            case .v1:
                reading.cgroupUsageBytes = SystemFile.readIfPresent(directory + "/memory.usage_in_bytes")
                    .flatMap(MemoryPressureReading.parseCgroupBytes)
                limit = SystemFile.readIfPresent(directory + "/memory.limit_in_bytes")
                    .flatMap(MemoryPressureReading.parseCgroupV1Limit)
            case .v2:
                reading.cgroupUsageBytes = SystemFile.readIfPresent(directory + "/memory.current")
                    .flatMap(MemoryPressureReading.parseCgroupBytes)
                limit = SystemFile.readIfPresent(directory + "/memory.max")
                    .flatMap(MemoryPressureReading.parseCgroupV2Max)
                psi = SystemFile.readIfPresent(directory + "/memory.pressure").map(MemoryPressureReading.parsePressure)
            }
            reading.cgroupLimitBytes = limit?.bytes
        }
        if psi?.some == nil {
            psi = SystemFile.readIfPresent(root + "/proc/pressure/memory").map(MemoryPressureReading.parsePressure)
        }
        reading.psiSomeAvg10 = psi?.some?.avg10
        reading.psiFullAvg10 = psi?.full?.avg10
        return reading
    }
}
