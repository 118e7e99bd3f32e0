import Foundation

/// What a Firecracker VM state file says about the VM it holds, read without starting Firecracker: its snapshot
/// format version, guest memory, and the host paths and names a restore needs (drives, the vsock socket, TAPs).
///
/// snapbench restores snapshots other tools made (`vm.snapshot`, `--snapshot`) only after checking them against
/// this host, so that a snapshot that cannot load is refused with its file and reason before any VM starts.
///
/// The layout is Firecracker v1.12's, snapshot format 6.0.x on x86_64 (`src/vmm/src/snapshot/mod.rs`,
/// `persist.rs`): a bincode header `{magic u64, version string}`, the bincode `MicrovmState` (fixed-width little
/// endian integers, u64 lengths, u32 enum tags, one-byte option tags), then a CRC-64 (Jones, reflected, as Redis
/// uses) of everything before it. The whole state is walked: the decoder must end exactly at the CRC, so a
/// layout it does not know is refused rather than misread. A file of another format version is refused by its
/// header alone.
///
/// ```swift
/// let state = try SnapshotStateFile.read(path: "/srv/snap/vm.state")
/// print(state.formatVersion, state.memoryBytes, state.drives.map(\.path), state.vsock?.udsPath ?? "-")
/// ```
package struct SnapshotStateFile: Sendable, Equatable {
    /// A drive the VM was made with.
    package struct DriveState: Sendable, Equatable {
        /// Its id.
        package var id: String
        /// The host path Firecracker opens at restore (relative paths resolve in the VMM's working directory).
        package var path: String
        /// Whether it is the root device.
        package var isRoot: Bool
        /// Whether the guest sees it read-only (`VIRTIO_BLK_F_RO` among the device's features).
        package var isReadOnly: Bool
    }

    /// A network interface the VM was made with.
    package struct InterfaceState: Sendable, Equatable {
        /// Its id.
        package var id: String
        /// The TAP device it opens at restore (unless the load overrides it).
        package var tapName: String
    }

    /// The vsock device.
    package struct VsockState: Sendable, Equatable {
        /// The Unix socket Firecracker binds at restore (relative paths resolve in the VMM's working directory).
        package var udsPath: String
        /// The guest's context id.
        package var guestCID: UInt64

        package init(udsPath: String, guestCID: UInt64) {
            self.udsPath = udsPath
            self.guestCID = guestCID
        }
    }

    /// The snapshot format version, e.g. `6.0.0`.
    package var formatVersion: String
    /// Guest memory in MiB, as configured.
    package var memorySizeMiB: UInt64
    /// The sizes of the guest memory regions, in bytes: the memory file holds them one after another.
    package var memoryRegionSizes: [UInt64]
    /// The kernel the VM booted (informational: a restore does not open it).
    package var kernelImagePath: String
    /// Its command line, when it had one.
    package var bootArgs: String?
    /// Whether guest memory is in 2 MiB huge pages (such a snapshot restores only through userfaultfd).
    package var hugePages: Bool
    /// vCPUs.
    package var vcpuCount: Int
    package var drives: [DriveState]
    package var networkInterfaces: [InterfaceState]
    package var vsock: VsockState?
    /// Whether it has a balloon device.
    package var hasBalloon: Bool

    /// The bytes the memory file must hold.
    package var memoryBytes: UInt64 { memoryRegionSizes.reduce(0, +) }

    /// The magic number of an x86_64 state file.
    static let magicX86 = UInt64(0x0710_1984_8664_0000)
    /// The magic number of an aarch64 one.
    static let magicAArch64 = UInt64(0x0710_1984_AAAA_0000)
    /// The format versions whose layout this decoder walks.
    package static let readableMajorVersion = 6

    /// Reads and checks the state file at `path`.
    ///
    /// - Throws: ``SnapshotStateError`` naming the file and what is wrong: unreadable, too short, another
    ///   architecture, a damaged CRC, a format version this decoder cannot walk, or a layout it does not know.
    package static func read(path: String) throws -> SnapshotStateFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SnapshotStateError(path: path, "cannot be read")
        }
        return try decode(Array(data), path: path)
    }

    /// Decodes a state file's bytes; `path` names it in errors.
    static func decode(_ bytes: [UInt8], path: String) throws -> SnapshotStateFile {
        guard bytes.count >= 8 else { throw SnapshotStateError(path: path, "is shorter than its 8-byte CRC") }
        let body = bytes[..<(bytes.count - 8)]
        var reader = BincodeReader(bytes: Array(body), path: path)
        let magic = try reader.u64()
        guard magic != magicAArch64 else {
            throw SnapshotStateError(path: path, "was made on aarch64; this host is x86_64")
        }
        guard magic == magicX86 else {
            throw SnapshotStateError(
                path: path,
                "is not a Firecracker VM state file (magic \(String(magic, radix: 16)))"
            )
        }
        let version = try reader.string()
        let stored = bytes[(bytes.count - 8)...].enumerated().reduce(UInt64(0)) {
            $0 | UInt64($1.element) << (8 * $1.offset)
        }
        guard CRC64.jones(body) == stored else {
            throw SnapshotStateError(path: path, "fails its CRC-64 check: the file is damaged or cut")
        }
        guard Int(version.split(separator: ".").first ?? "") == readableMajorVersion else {
            throw SnapshotStateError(
                path: path,
                "has snapshot format version \(version); snapbench reads format \(readableMajorVersion).x "
                    + "(Firecracker v1.12)",
                formatVersion: version
            )
        }
        var state = try reader.microVMState(version: version)
        guard reader.remaining == 0 else {
            throw SnapshotStateError(
                path: path,
                "has \(reader.remaining) bytes after the state this decoder knows: a layout of another Firecracker"
            )
        }
        state.formatVersion = version
        return state
    }
}

/// A state file that cannot be restored here, and why.
package struct SnapshotStateError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The file.
    package var path: String
    /// What is wrong with it.
    package var reason: String
    /// Its format version, when the header could be read.
    package var formatVersion: String?

    package init(path: String, _ reason: String, formatVersion: String? = nil) {
        self.path = path
        self.reason = reason
        self.formatVersion = formatVersion
    }

    package var description: String { "the snapshot state file \(path) \(reason)" }
}

/// CRC-64 as the `crc64` crate computes it (Jones polynomial, reflected, initial 0, no final xor), which
/// Firecracker's state files end with.
enum CRC64 {
    static let table: [UInt64] = (0..<256).map { index in
        var value = UInt64(index)
        for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0x95AC_9329_AC4B_C9B5 : value >> 1 }
        return value
    }

    static func jones(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var crc: UInt64 = 0
        for byte in bytes { crc = table[Int((crc ^ UInt64(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc
    }
}

/// Reads bincode 2 with Firecracker's configuration: fixed-width little-endian integers, u64 lengths, u32 enum
/// tags, one-byte option tags and booleans; every read is bounds-checked and every tag range-checked.
struct BincodeReader {
    let bytes: [UInt8]
    let path: String
    var offset = 0

    init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    var remaining: Int { bytes.count - offset }

    func problem(_ what: String) -> SnapshotStateError {
        SnapshotStateError(path: path, "cannot be read at byte \(offset): \(what); it is damaged or of another layout")
    }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw problem("\(count) bytes needed, \(remaining) left") }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func integer(_ size: Int) throws -> UInt64 {
        try take(size).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
    }

    mutating func u8() throws -> UInt8 { UInt8(try integer(1)) }
    mutating func u16() throws -> UInt16 { UInt16(try integer(2)) }
    mutating func u32() throws -> UInt32 { UInt32(try integer(4)) }
    mutating func u64() throws -> UInt64 { try integer(8) }

    mutating func bool() throws -> Bool {
        let value = try u8()
        guard value <= 1 else { throw problem("a boolean of \(value)") }
        return value == 1
    }

    mutating func length(limit: UInt64 = 1 << 24) throws -> Int {
        let value = try u64()
        guard value <= limit, value <= UInt64(remaining) else { throw problem("a length of \(value)") }
        return Int(value)
    }

    mutating func blob() throws { _ = try take(try length()) }

    mutating func string() throws -> String {
        let raw = try take(try length())
        guard let text = String(validating: raw, as: UTF8.self) else { throw problem("a string that is not UTF-8") }
        return text
    }

    mutating func option<T>(_ read: (inout BincodeReader) throws -> T) throws -> T? {
        switch try u8() {
        case 0: return nil
        case 1: return try read(&self)
        case let tag: throw problem("an option tag of \(tag)")
        }
    }

    mutating func vector<T>(limit: UInt64 = 1 << 20, _ read: (inout BincodeReader) throws -> T) throws -> [T] {
        let count = try u64()
        guard count <= limit else { throw problem("a list of \(count) entries") }
        return try (0..<count).map { _ in try read(&self) }
    }

    mutating func tag(below variants: UInt32) throws -> UInt32 {
        let value = try u32()
        guard value < variants else { throw problem("an enum tag of \(value)") }
        return value
    }

    // MARK: - Firecracker v1.12's MicrovmState (snapshot format 6.0.x, x86_64)

    mutating func microVMState(version: String) throws -> SnapshotStateFile {
        // VmInfo: mem_size_mib, smt, cpu_template, boot source {kernel, initrd?, boot_args?}, huge_pages.
        let memorySize = try u64()
        _ = try bool()
        _ = try tag(below: 6)
        let kernel = try string()
        _ = try option { try $0.string() }
        let bootArgs = try option { try $0.string() }
        let hugePages = try tag(below: 2) == 1
        // KvmState: capability modifiers.
        _ = try vector { try $0.string() }
        // VmState: memory regions {base, size}, then pit, clock, pic master and slave, ioapic.
        let regions = try vector(limit: 64) { reader -> UInt64 in
            _ = try reader.u64()
            return try reader.u64()
        }
        for _ in 0..<5 { try blob() }
        // vCPU states: cpuid (header, entries), saved MSRs, seven register blobs, xsave (header, u32s), tsc_khz?.
        let vcpus: [Void] = try vector(limit: 32) { reader in
            try reader.famStruct { try $0.blob() }
            _ = try reader.vector { try $0.famStruct { try $0.blob() } }
            for _ in 0..<7 { try reader.blob() }
            try reader.famStruct { _ = try $0.u32() }
            _ = try reader.option { try $0.u32() }
        }
        // Device states: block, net, vsock?, balloon?, mmds version?, entropy?; then the VMGenID's ACPI state?.
        let drives = try vector(limit: 64) { try $0.connected { try $0.blockState() } }
        let interfaces = try vector(limit: 64) { try $0.connected { try $0.netState() } }
        let vsock = try option { try $0.connected { try $0.vsockState() } }
        let balloon: Void? = try option { try $0.connected { try $0.balloonState() } }
        _ = try option { try $0.tag(below: 2) }
        _ = try option {
            try $0.connected {
                try $0.virtioState()
                try $0.rateLimiter()
            }
        }
        _ = try option { reader in
            _ = try reader.u32()
            _ = try reader.u64()
        }
        return SnapshotStateFile(
            formatVersion: version,
            memorySizeMiB: memorySize,
            memoryRegionSizes: regions,
            kernelImagePath: kernel,
            bootArgs: bootArgs,
            hugePages: hugePages,
            vcpuCount: vcpus.count,
            drives: drives,
            networkInterfaces: interfaces,
            vsock: vsock,
            hasBalloon: balloon != nil
        )
    }

    /// vmm-sys-util's `FamStructWrapper`: the header as bytes, then its entries.
    mutating func famStruct(_ entry: (inout BincodeReader) throws -> Void) throws {
        try blob()
        let count = try u64()
        guard count <= 1 << 22 else { throw problem("a list of \(count) entries") }
        for _ in 0..<count { try entry(&self) }
    }

    /// A device with its id, state, MMIO transport state and MMIO placement.
    mutating func connected<T>(_ state: (inout BincodeReader) throws -> T) throws -> T {
        _ = try string()
        let value = try state(&self)
        for _ in 0..<5 { _ = try u32() }
        _ = try u64()
        _ = try u64()
        _ = try option { try $0.u32() }
        return value
    }

    /// `VirtioDeviceState`; returns the device's available features.
    @discardableResult
    mutating func virtioState() throws -> UInt64 {
        _ = try u32()
        let features = try u64()
        _ = try u64()
        _ = try vector(limit: 64) { reader in
            _ = try reader.take(4)
            _ = try reader.bool()
            _ = try reader.take(30)
        }
        _ = try u32()
        _ = try bool()
        return features
    }

    mutating func rateLimiter() throws {
        for _ in 0..<2 { _ = try option { try $0.take(40) } }
    }

    mutating func blockState() throws -> SnapshotStateFile.DriveState {
        guard try tag(below: 2) == 0 else { throw problem("a vhost-user drive, which Firecracker cannot snapshot") }
        let id = try string()
        _ = try option { try $0.string() }
        _ = try tag(below: 2)
        let root = try bool()
        let path = try string()
        let features = try virtioState()
        try rateLimiter()
        _ = try tag(below: 2)
        // VIRTIO_BLK_F_RO, bit 5: the guest sees the drive read-only, and Firecracker opens it so.
        return .init(id: id, path: path, isRoot: root, isReadOnly: features & (1 << 5) != 0)
    }

    mutating func netState() throws -> SnapshotStateFile.InterfaceState {
        let id = try string()
        let tap = try string()
        try rateLimiter()
        try rateLimiter()
        _ = try option { try $0.take(12) }
        _ = try option { try $0.string() }
        try virtioState()
        _ = try take(8)
        return .init(id: id, tapName: tap)
    }

    mutating func vsockState() throws -> SnapshotStateFile.VsockState {
        _ = try tag(below: 1)
        let path = try string()
        let cid = try u64()
        try virtioState()
        return .init(udsPath: path, guestCID: cid)
    }

    mutating func balloonState() throws {
        _ = try u16()
        _ = try option { try $0.u16() }
        for _ in 0..<10 { _ = try option { try $0.u64() } }
        _ = try u32()
        _ = try u32()
        try virtioState()
    }
}

extension SnapshotStateFile {
    /// The CRC-64 Firecracker's state files end with, of `bytes` (for building and checking files in tests).
    package static func crc64(_ bytes: [UInt8]) -> UInt64 { CRC64.jones(bytes) }
}
