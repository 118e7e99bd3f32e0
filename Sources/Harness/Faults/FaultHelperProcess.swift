import CSystemShims
import Dispatch
import Firecracker
import Glibc
import HostSystem
import SnapshotPool
import Synchronization

/// A child process that loads the host for a fault: one that spins on a CPU, or a memory balloon that
/// allocates and touches its size. It dies with snapbench (even on `kill -9`), is the OOM killer's first
/// choice, and is reaped by ``stop()``.
///
/// ```swift
/// let balloon = try await FaultHelperProcess.start(.balloon(mebibytes: 256), cgroup: poolCgroup)
/// defer { balloon.stop() }
/// ```
final class FaultHelperProcess: Sendable {
    /// What the helper does.
    enum Mode: Sendable, Equatable {
        case spin
        case balloon(mebibytes: Int)
    }

    /// Why a helper could not start.
    struct StartError: Error, CustomStringConvertible {
        var description: String
    }

    /// Its process id.
    let pid: Int32

    /// Helpers started and not yet reaped, for the leak check.
    private static let live = Mutex<Set<Int32>>([])

    /// The pids of helpers not yet stopped.
    static var unreaped: Set<Int32> { live.withLock { $0 } }

    private init(pid: Int32) {
        self.pid = pid
        _ = Self.live.withLock { $0.insert(pid) }
    }

    /// Starts a helper, placed in `cgroup` before it allocates anything, and returns once it runs (a
    /// balloon: once every page is touched).
    ///
    /// - Throws: ``StartError`` when the fork fails, or the helper dies before it is ready (a balloon larger
    ///   than its cgroup allows is OOM-killed: the error says so).
    static func start(_ mode: Mode, cgroup: MemoryCgroup? = nil) async throws -> FaultHelperProcess {
        var go: Int32 = -1
        var ready: Int32 = -1
        let bytes: UInt64
        let native: snapbench_helper_mode
        switch mode {
        case .spin:
            bytes = 0
            native = SNAPBENCH_HELPER_SPIN
        case .balloon(let mebibytes):
            bytes = UInt64(mebibytes) * 1_048_576
            native = SNAPBENCH_HELPER_BALLOON
        }
        // Unsafe: the shim writes the two pipe descriptors into our locals.
        let pid = snapbench_spawn_helper(native, bytes, &go, &ready)
        guard pid > 0 else { throw StartError(description: "cannot fork a fault helper: errno \(errno)") }
        let helper = FaultHelperProcess(pid: pid)
        do {
            try cgroup?.add(pid: pid)
        } catch {
            close(go)
            close(ready)
            helper.stop()
            throw StartError(description: "cannot place the fault helper in \(cgroup.map { "\($0)" } ?? "")")
        }
        var byte: UInt8 = 1
        // Unsafe: one byte from a local to the helper's start pipe.
        _ = write(go, &byte, 1)
        close(go)
        let readyPipe = ready
        let started = await withCheckedContinuation { continuation in
            // The read blocks for as long as the balloon touches its pages: off the cooperative pool.
            DispatchQueue.global().async {
                var answer: UInt8 = 0
                // Unsafe: one byte into a local; 0 bytes means the helper died first.
                let count = read(readyPipe, &answer, 1)
                close(readyPipe)
                continuation.resume(returning: count == 1)
            }
        }
        guard started else {
            let exit = helper.reap()
            throw StartError(description: "the fault helper died before it was ready (\(exit))")
        }
        return helper
    }

    /// Whether it still runs.
    var isRunning: Bool { ProcessStatus.isRunning(pid) }

    /// Kills and reaps it. Safe to call more than once.
    func stop() {
        kill(pid, SIGKILL)
        _ = reap()
    }

    /// Waits for it to end and describes how it did.
    @discardableResult
    private func reap() -> String {
        var status: Int32 = 0
        // Unsafe: waitpid(2) writes the exit status into our local.
        let result = waitpid(pid, &status, 0)
        _ = Self.live.withLock { $0.remove(pid) }
        guard result == pid else { return "already reaped" }
        let signal = status & 0x7f
        return signal == 0 ? "exit status \((status >> 8) & 0xff)" : "killed by signal \(signal)"
    }
}
