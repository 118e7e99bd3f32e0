/// What a golden VM is made of: the guest, its command line, its machine and devices, and how it proves
/// it is ready.
///
/// ```swift
/// let spec = VMSpec.builtInGuest(imagePath: guestPath, workingSetMiB: 16)
/// ```
package struct VMSpec: Codable, Sendable, Equatable {
    /// The guest kernel or built-in guest ELF.
    package var kernelImagePath: String
    /// The kernel command line.
    package var bootArgs: String
    /// vCPUs.
    package var vcpuCount: Int
    /// Guest memory in MiB.
    package var memoryMiB: Int
    /// Block devices (a Linux guest's rootfs).
    package var drives: [Drive]
    /// Network interfaces; their TAP names are baked into the snapshot.
    package var networkInterfaces: [NetworkInterface]
    /// A vsock device; give it a relative `udsPath` so each clone binds its own.
    package var vsock: Vsock?
    /// Data drives made for the golden VM and given to every clone, shared read-only or copied.
    package var blockDevices: BlockDevices?
    /// A balloon device.
    package var balloon: Balloon?
    /// How the guest proves it runs.
    package var readiness: ReadinessProbe
    /// Guest memory in 2 MiB huge pages (hugetlbfs; `/proc/sys/vm/nr_hugepages` must hold them): such a
    /// snapshot restores only through a page server (``ClonedVM/MemorySource/pageServer(_:)``).
    package var hugePages: Bool?

    package init(
        kernelImagePath: String,
        bootArgs: String,
        vcpuCount: Int = 1,
        memoryMiB: Int = 128,
        drives: [Drive] = [],
        networkInterfaces: [NetworkInterface] = [],
        vsock: Vsock? = nil,
        blockDevices: BlockDevices? = nil,
        balloon: Balloon? = nil,
        readiness: ReadinessProbe,
        hugePages: Bool? = nil
    ) {
        self.kernelImagePath = kernelImagePath
        self.bootArgs = bootArgs
        self.vcpuCount = vcpuCount
        self.memoryMiB = memoryMiB
        self.drives = drives
        self.networkInterfaces = networkInterfaces
        self.vsock = vsock
        self.blockDevices = blockDevices
        self.balloon = balloon
        self.readiness = readiness
        self.hugePages = hugePages
    }

    /// The built-in benchmark guest, writing `workingSetMiB` of its memory at boot, and with `touch`
    /// re-touching part of it after every resume.
    package static func builtInGuest(
        imagePath: String,
        workingSetMiB: Int = 16,
        memoryMiB: Int = 128,
        vcpuCount: Int = 1,
        touch: WorkingSetTouch? = nil,
        hugePages: Bool = false
    ) -> VMSpec {
        VMSpec(
            kernelImagePath: imagePath,
            bootArgs: "ws=\(workingSetMiB)" + (touch.map { " " + $0.bootArgs } ?? ""),
            vcpuCount: vcpuCount,
            memoryMiB: memoryMiB,
            readiness: .builtInGuest,
            hugePages: hugePages ? true : nil
        )
    }
}

extension VMSpec {
    /// Every drive the VMM is given: ``drives`` (a Linux guest's rootfs) and the data drives of
    /// ``blockDevices``.
    package var allDrives: [Drive] { drives + (blockDevices?.drives ?? []) }
}

/// Data drives of a golden VM: `count` files of `sizeMiB`, filled with seeded bytes when the snapshot is built
/// (so a copy costs what copying real data costs) and kept beside it. Each clone gets them in its own
/// directory, by the paths the snapshot holds (`drive0.img`, … relative to the VMM's working directory):
/// ``Sharing/readOnly`` links the snapshot's files (read-only for the guest, nothing copied), ``Sharing/copy``
/// copies them (writable, one copy per clone, removed with it).
///
/// ```swift
/// let drives = BlockDevices(count: 3, sizeMiB: 16, sharing: .readOnly)
/// drives.drives.map(\.pathOnHost)  // ["drive0.img", "drive1.img", "drive2.img"]
/// ```
package struct BlockDevices: Codable, Sendable, Equatable {
    /// How clones get the drives.
    package enum Sharing: String, Codable, Sendable, CaseIterable {
        /// Linked to the snapshot's files, read-only for the guest.
        case readOnly = "read_only"
        /// Copied into each clone's directory, writable.
        case copy
    }

    /// How many drives.
    package var count: Int
    /// Each drive's size in MiB.
    package var sizeMiB: Int
    /// How clones get them.
    package var sharing: Sharing

    package init(count: Int, sizeMiB: Int, sharing: Sharing) {
        self.count = count
        self.sizeMiB = sizeMiB
        self.sharing = sharing
    }

    /// The file name of drive `index`, in the snapshot directory and in every clone's.
    package static func fileName(_ index: Int) -> String { "drive\(index).img" }

    /// The drives as the VMM is configured with them.
    package var drives: [Drive] {
        (0..<count).map {
            Drive(
                driveId: "drive\($0)",
                pathOnHost: Self.fileName($0),
                isRootDevice: false,
                isReadOnly: sharing == .readOnly
            )
        }
    }
}

/// How the host learns that a guest runs: a line on the serial console, at boot and after every resume.
package struct ReadinessProbe: Codable, Sendable, Equatable {
    /// The start of the line the guest prints once booted and ready to be snapshotted; empty when the golden
    /// VM is ready once its agent answers (``agent``).
    package var bootPrefix: String
    /// The start of the line the guest prints after every resume; it must differ between clones.
    package var resumePrefix: String
    /// The start of the line the guest prints when it has done its first work after a resume, when it does
    /// any (the built-in guest with `touch=`).
    package var workPrefix: String?
    /// Readiness over the agent's channel instead of the serial console: after each resume the host connects to
    /// the agent over vsock and a reply starting with ``AgentProbe/expect`` proves the clone runs.
    package var agent: AgentProbe?

    package init(bootPrefix: String, resumePrefix: String, workPrefix: String? = nil, agent: AgentProbe? = nil) {
        self.bootPrefix = bootPrefix
        self.resumePrefix = resumePrefix
        self.workPrefix = workPrefix
        self.agent = agent
    }

    /// The tokens of the built-in guest (`Guest/README.md`): its clone's proof is `R<32 hex VMGenID>/<n>`,
    /// short because every byte the guest writes to its serial port is a VM exit.
    package static let builtInGuest = ReadinessProbe(bootPrefix: "SNAPBENCH-READY", resumePrefix: "R", workPrefix: "W")
}

/// How the host reaches a guest's agent over vsock, and what the agent answers: the sandbox's readiness as an
/// orchestrator sees it.
///
/// After each resume the host connects to the clone's vsock device socket (``socket``, relative to the clone's
/// directory), asks for ``port``, writes ``request`` as one line and reads one line back; the clone is ready when
/// it starts with ``expect``. The built-in guest's agent answers `ready` with `R<32 hex VMGenID>/<resumes>` —
/// the serial proof — so the pool still refuses a golden or repeated generation id.
///
/// ```swift
/// let probe = AgentProbe.builtIn  // port 52, "ready" → "R…", "touch <MiB>" → "W…"
/// ```
package struct AgentProbe: Codable, Sendable, Equatable {
    /// The vsock device's `uds_path`, relative to each clone's working directory.
    package var socket: String
    /// The guest port the agent listens on.
    package var port: UInt32
    /// The readiness request, one line without its `\n`.
    package var request: String
    /// What the reply must start with.
    package var expect: String
    /// With first work after the resume: the request that does it (`touch <MiB>` for the built-in agent), and
    /// what its reply starts with.
    package var workRequest: String?
    package var workExpect: String?

    package init(
        socket: String = "vsock.sock",
        port: UInt32 = 52,
        request: String = "ready",
        expect: String = "R",
        workRequest: String? = nil,
        workExpect: String? = nil
    ) {
        self.socket = socket
        self.port = port
        self.request = request
        self.expect = expect
        self.workRequest = workRequest
        self.workExpect = workExpect
    }

    /// The built-in guest's agent (`Guest/agent.c`).
    package static let builtIn = AgentProbe()
}

/// The built-in guest's work after every resume: re-touch the first `mebibytes` of its working set, in
/// address order or in a seeded permutation, reading each page (and writing it back), then print
/// `W<microseconds>/<wrong pages>`. It is what a real workload does first after a restore — touch memory the
/// snapshot holds — so the memory backend's cost per page shows.
///
/// ```swift
/// let spec = VMSpec.builtInGuest(imagePath: guest, workingSetMiB: 16, touch: WorkingSetTouch(mebibytes: 16))
/// spec.bootArgs  // "ws=16 touch=16 touchseed=0 touchw=0"
/// ```
package struct WorkingSetTouch: Codable, Sendable, Equatable {
    /// In which order the pages are visited.
    package enum Order: String, Codable, Sendable, CaseIterable {
        case sequential
        case random
    }

    /// Whether each page is only read, or also written back (a write fault where the backend copies on
    /// write).
    package enum Access: String, Codable, Sendable, CaseIterable {
        case read
        case write
    }

    /// How much of the working set, at most all of it.
    package var mebibytes: Int
    package var order: Order
    package var access: Access
    /// The permutation's seed, for `random` (never 0: the guest reads 0 as address order).
    package var seed: UInt64

    package init(mebibytes: Int, order: Order = .sequential, access: Access = .read, seed: UInt64 = 1) {
        self.mebibytes = mebibytes
        self.order = order
        self.access = access
        self.seed = max(1, seed)
    }

    /// The guest's command-line words for it.
    package var bootArgs: String {
        "touch=\(mebibytes) " + agentBootArgs
    }

    /// The order and access alone, for a guest whose agent re-touches when asked (`touch <MiB>` over vsock)
    /// rather than at every resume.
    package var agentBootArgs: String {
        "touchseed=\(order == .random ? seed : 0) touchw=\(access == .write ? 1 : 0)"
    }
}
