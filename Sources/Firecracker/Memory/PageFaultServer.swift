import CSystemShims
import Foundation
import Glibc
import HostSystem
import Synchronization
import SystemPackage

/// Serves one clone's guest memory through Firecracker's UFFD backend: it listens on a Unix socket before the
/// snapshot load, receives the VMM's userfaultfd and region mappings, optionally copies a set of pages in
/// ahead of any fault (a recorded working set, or everything), then copies each faulting page in from the
/// snapshot's memory file until the VMM hangs up. The loop runs in C (`page_fault_server.c`) on a thread of
/// its own: a fault blocks a vCPU until it is served, so it must never wait behind Swift's cooperative pool.
///
/// ```swift
/// let server = try PageFaultServer(socketPath: dir + "/uffd.sock", memory: memory, record: true) { reason in
///     try? vmm.send(signal: SIGKILL)   // a VM whose pages cannot be served must not run on
/// }
/// // … PUT /snapshot/load with mem_backend {backend_type: Uffd, backend_path: server.socketPath} …
/// let outcome = await server.stop()   // outcome.statistics.faults, outcome.recorded?.count
/// ```
package final class PageFaultServer: Sendable {
    /// What the server did for its clone.
    package struct Statistics: Sendable, Equatable {
        /// Page faults received.
        package var faults: Int
        /// 4 KiB pages copied in to serve them.
        package var faultPages: Int
        /// Time spent serving them.
        package var faultTime: Duration
        /// 4 KiB pages copied in ahead of any fault.
        package var prefetchedPages: Int
        /// Time the prefetch took, faults served in between included.
        package var prefetchTime: Duration
        /// Faults whose page was already there (a wake sufficed).
        package var alreadyPresent: Int
        /// 4 KiB pages copied in around faulting pages (part of ``faultPages``).
        package var faultAroundPages: Int
    }

    /// How the server ended.
    package enum Ending: Sendable, Equatable {
        /// The VMM closed its connection (it exited).
        case vmmHungUp
        /// ``stop()`` ended it.
        case stopped
        /// It could not serve: the VM was told to stop (see `onFailure`).
        case failed(String)
    }

    /// The server's end: how, what it did, and the pages faults brought in when it recorded them.
    package struct Outcome: Sendable, Equatable {
        package var ending: Ending
        package var statistics: Statistics
        package var recorded: PageSet?
    }

    /// The socket the VMM connects to (`mem_backend.backend_path`).
    package let socketPath: String
    private let listener: Int32
    private let stopSignal: Int32
    private let state = Mutex(State())

    private struct State {
        var outcome: Outcome?
        var waiters: [CheckedContinuation<Outcome, Never>] = []
        var prefetched = false
        var prefetchWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Starts listening at `socketPath` (it must not exist) and serving on a thread of its own.
    ///
    /// - Parameters:
    ///   - memory: the snapshot's memory file, the source of every page.
    ///   - prefetch: pages to copy in before serving faults; `nil` serves on demand only.
    ///   - record: keep the set of pages faults brought in (for a later clone's prefetch); with fault-around,
    ///     the pages brought in around a fault count as brought in by it.
    ///   - faultAroundPages: a 4 KiB fault also copies in the missing pages of its aligned block of this many
    ///     pages (1: only the faulting page).
    ///   - connectTimeout: how long the VMM may take to connect.
    ///   - onFailure: called once, on the server's thread, when a page cannot be served or the VMM never
    ///     connected: the clone must be stopped, since its vCPU waits for that page forever.
    /// - Throws: `FirecrackerError(.workspace)` when the socket cannot be made.
    package init(
        socketPath: String,
        memory: SnapshotMemoryMap,
        prefetch: PageSet? = nil,
        record: Bool = false,
        faultAroundPages: Int = GuestMemory.defaultFaultAroundPages,
        connectTimeout: Duration = .seconds(10),
        onFailure: @escaping @Sendable (String) -> Void
    ) throws {
        let listener = snapbench_uffd_listen(socketPath)
        guard listener >= 0 else {
            throw FirecrackerError(
                .workspace,
                "cannot listen on \(socketPath) for the VMM's page faults: \(Errno.last)"
            )
        }
        let stopSignal = snapbench_eventfd()
        guard stopSignal >= 0 else {
            close(listener)
            unlink(socketPath)
            throw FirecrackerError(.system, "cannot make the page server's stop signal: \(Errno.last)")
        }
        self.socketPath = socketPath
        self.listener = listener
        self.stopSignal = stopSignal
        let timeout = Int32(clamping: Int(connectTimeout.inMilliseconds.rounded(.up)))
        let thread = Thread { [self] in
            let outcome = self.serve(
                memory: memory,
                prefetch: prefetch,
                record: record,
                faultAroundPages: faultAroundPages,
                timeout: timeout
            )
            if case .failed(let reason) = outcome.ending { onFailure(reason) }
            self.finish(outcome)
        }
        thread.name = "snapbench.uffd"
        thread.start()
    }

    /// Ends the server (if the VMM has not already hung up) and returns its outcome.
    @discardableResult
    package func stop() async -> Outcome {
        state.withLock { state in
            // Under the lock: the thread closes the signal only after it recorded its outcome.
            if state.outcome == nil {
                var one: UInt64 = 1
                _ = write(stopSignal, &one, 8)
            }
        }
        return await outcome()
    }

    /// Waits for the server to end on its own (the VMM exits) and returns its outcome.
    package func outcome() async -> Outcome {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Outcome? in
                if let outcome = state.outcome { return outcome }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Returns once the prefetch is done (at once without one), or the server has ended.
    package func prefetched() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.prefetched || state.outcome != nil { return true }
                state.prefetchWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func markPrefetched() {
        let waiters = state.withLock { state in
            state.prefetched = true
            defer { state.prefetchWaiters = [] }
            return state.prefetchWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private func finish(_ outcome: Outcome) {
        markPrefetched()
        let waiters = state.withLock { state in
            state.outcome = outcome
            close(stopSignal)
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: outcome) }
    }

    /// Accepts the VMM, then serves it; on the server's thread.
    private func serve(
        memory: SnapshotMemoryMap,
        prefetch: PageSet?,
        record: Bool,
        faultAroundPages: Int,
        timeout: Int32
    ) -> Outcome {
        let statistics = snapbench_uffd_stats()
        var json = [CChar](repeating: 0, count: 65_536)
        var connection: Int32 = -1
        var uffd: Int32 = -1
        let length = snapbench_uffd_accept(listener, stopSignal, timeout, &json, json.count, &connection, &uffd)
        let acceptError = errno
        close(listener)
        unlink(socketPath)
        guard length >= 0 else {
            if acceptError == ECANCELED { return Outcome(ending: .stopped, statistics: Self.convert(statistics)) }
            return Outcome(
                ending: .failed("the VMM did not hand over its guest memory: \(Errno(rawValue: acceptError))"),
                statistics: Self.convert(statistics)
            )
        }
        defer {
            close(uffd)
            close(connection)
        }
        let regions: [snapbench_uffd_region]
        do {
            regions = try Self.regions(
                json: String(decoding: json.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            )
        } catch {
            return Outcome(ending: .failed("\(error)"), statistics: Self.convert(statistics))
        }
        let pageCount = memory.pageCount
        let pairs = (prefetch?.runs ?? []).flatMap { [UInt64($0.first), UInt64($0.count)] }
        var recorded = record ? PageSet(pageCount: pageCount) : nil
        var present = PageSet(pageCount: pageCount)
        var session = snapbench_uffd_session()
        let result: Int32 = regions.withUnsafeBufferPointer { regionBuffer in
            pairs.withUnsafeBufferPointer { pairBuffer in
                // Unsafe: the C loop reads the mapped file and fills the two bitmaps in place, one bit per
                // page, within the lengths given here; all outlive the calls.
                let run = { (bitmap: UnsafeMutablePointer<UInt8>?, presence: UnsafeMutablePointer<UInt8>?) -> Int32 in
                    session.uffd = uffd
                    session.regions = regionBuffer.baseAddress
                    session.region_count = Int32(regionBuffer.count)
                    session.source = UnsafePointer(memory.base.assumingMemoryBound(to: UInt8.self))
                    session.source_size = memory.size
                    session.record = bitmap
                    session.record_pages = UInt64(pageCount)
                    session.present = presence
                    session.fault_around_pages = UInt64(max(1, faultAroundPages))
                    let prefetched = snapbench_uffd_prefetch(&session, pairBuffer.baseAddress, Int32(pairs.count / 2))
                    self.markPrefetched()
                    // The VMM went away during the prefetch: it hung up.
                    if prefetched == 1 { return 0 }
                    guard prefetched == 0 else { return prefetched }
                    return snapbench_uffd_serve(&session, connection, self.stopSignal)
                }
                return present.bits.withUnsafeMutableBufferPointer { presence in
                    guard recorded != nil else { return run(nil, presence.baseAddress) }
                    return recorded!.bits.withUnsafeMutableBufferPointer { run($0.baseAddress, presence.baseAddress) }
                }
            }
        }
        let ending: Ending =
            switch result {
            case 0: .vmmHungUp
            case 1: .stopped
            default: .failed("a page could not be served: \(Errno(rawValue: -result))")
            }
        return Outcome(ending: ending, statistics: Self.convert(session.stats), recorded: recorded)
    }

    /// One entry of the VMM's message (Firecracker's `GuestRegionUffdMapping`).
    private struct Mapping: Decodable {
        var baseHostVirtAddr: UInt64
        var size: UInt64
        var offset: UInt64
        var pageSize: UInt64
    }

    /// The VMM's region mappings.
    static func regions(json: String) throws -> [snapbench_uffd_region] {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let mappings: [Mapping]
        do {
            mappings = try decoder.decode([Mapping].self, from: Data(json.utf8))
        } catch {
            throw FirecrackerError(
                .invalidResponse,
                "the VMM's memory mappings are not what Firecracker sends: \(json)"
            )
        }
        guard !mappings.isEmpty, mappings.allSatisfy({ $0.pageSize >= 4096 && $0.pageSize & ($0.pageSize - 1) == 0 })
        else {
            throw FirecrackerError(.invalidResponse, "the VMM's memory mappings are unusable: \(json)")
        }
        return mappings.map {
            snapbench_uffd_region(base: $0.baseHostVirtAddr, size: $0.size, offset: $0.offset, page_size: $0.pageSize)
        }
    }

    private static func convert(_ raw: snapbench_uffd_stats) -> Statistics {
        Statistics(
            faults: Int(raw.faults),
            faultPages: Int(raw.fault_pages),
            faultTime: .nanoseconds(Int64(raw.fault_ns)),
            prefetchedPages: Int(raw.prefetched_pages),
            prefetchTime: .nanoseconds(Int64(raw.prefetch_ns)),
            alreadyPresent: Int(raw.already_present),
            faultAroundPages: Int(raw.fault_around_pages)
        )
    }
}
