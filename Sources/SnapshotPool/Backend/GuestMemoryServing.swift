import Firecracker
import Synchronization

/// A Firecracker backend's shared state for serving its clones' guest memory (``GuestMemory``): one mapping
/// of the current snapshot's memory file for every page server, and the working set the first clone faulted
/// in, which later clones prefetch — copied in by their page servers with userfaultfd, read into the page
/// cache before their restore with the File backend.
final class GuestMemoryServing: Sendable {
    let memory: GuestMemory
    private let state = Mutex(State())

    private struct State {
        var map: SnapshotMemoryMap?
        var snapshotDirectory: String?
        var recorded: PageSet?
    }

    init(memory: GuestMemory) {
        self.memory = memory
    }

    /// Where the next clone of `snapshot` gets its memory from; drops the file from the page cache first
    /// when the page cache is to be cold, then (File backend) reads what is to be prefetched back into it.
    func source(for snapshot: GoldenSnapshot) throws -> ClonedVM.MemorySource {
        guard memory.backend == .userfaultfd || memory.pageCache == .cold || memory.prefetch != .none else {
            return .file
        }
        let (map, recorded) = try state.withLock { state throws -> (SnapshotMemoryMap, PageSet?) in
            if let map = state.map, state.snapshotDirectory == snapshot.directory { return (map, state.recorded) }
            // A new snapshot (the first, or a rebuild): its own file, and nothing recorded of it yet.
            let map = try SnapshotMemoryMap(path: snapshot.memoryPath)
            state = State(map: map, snapshotDirectory: snapshot.directory, recorded: nil)
            return (map, nil)
        }
        if memory.pageCache == .cold { map.dropPageCache() }
        guard memory.backend == .userfaultfd else {
            switch memory.prefetch {
            case .none: break
            case .all: map.populate(.all(pageCount: map.pageCount))
            case .recorded: if let recorded { map.populate(recorded) }
            }
            return .file
        }
        var serving = ClonedVM.PageServing(memory: map, faultAroundPages: memory.faultAroundPages)
        switch memory.prefetch {
        case .none:
            break
        case .all:
            serving.prefetch = .all(pageCount: map.pageCount)
        case .recorded:
            // Until a clone's lease has been recorded, clones record; afterwards they prefetch its pages.
            serving.prefetch = recorded
            serving.record = recorded == nil
        }
        return .pageServer(serving)
    }

    /// With the File backend, keeps the pages of the memory file a leased clone's VMM has mapped, if none are
    /// kept yet; call it before the VMM is stopped.
    func recordMappedPages(of clone: ClonedVM) {
        guard memory.backend == .file, memory.prefetch == .recorded else { return }
        let unrecorded = state.withLock { $0.snapshotDirectory == clone.snapshot.directory && $0.recorded == nil }
        guard unrecorded, let map = state.withLock({ $0.map }) else { return }
        guard
            let pages = MappedFilePages.pages(
                of: clone.snapshot.memoryPath,
                mappedBy: clone.vmm.pid,
                pageCount: map.pageCount
            )
        else { return }
        keep(pages, of: clone)
    }

    /// Keeps the pages a destroyed clone's faults brought in, if it recorded them and none are kept yet.
    func harvest(_ clone: ClonedVM) async {
        guard memory.prefetch == .recorded, let server = clone.pageServer else { return }
        guard let recorded = await server.outcome().recorded else { return }
        keep(recorded, of: clone)
    }

    /// Keeps `pages` as the working set of `clone`'s snapshot, unless empty, one is kept already, or the snapshot
    /// has been replaced since.
    private func keep(_ pages: PageSet, of clone: ClonedVM) {
        guard pages.count > 0 else { return }
        state.withLock { state in
            if state.snapshotDirectory == clone.snapshot.directory, state.recorded == nil { state.recorded = pages }
        }
    }

    /// The working set recorded so far, if any.
    var recorded: PageSet? { state.withLock { $0.recorded } }
}
