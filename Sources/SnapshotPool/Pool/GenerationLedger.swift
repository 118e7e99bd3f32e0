import DequeModule
import MicroVM

/// The generation ids the pool has handed out lately, to refuse a clone that reports one again (a restore that
/// gave it no new VMGenID: clones that share entropy and identity).
///
/// Bounded: the last ``capacity`` ids, about 160 KiB, a constant. A Firecracker that stopped writing a new
/// VMGenID would hand every clone the golden VM's (refused by the golden check) or one fixed value (refused
/// at its second clone), so a window this size catches both without memory that grows with every lease.
struct GenerationLedger {
    /// Ids remembered at most.
    static let capacity = 4_096

    // Allocated whole at the start: memory that filled up over the first 4 096 leases read as growth per lease
    // (about 16 B per lease over a 10 000-lease churn run) although it is bounded.
    private var order = Deque<GenerationID>(minimumCapacity: Self.capacity)
    private var seen = Set<GenerationID>(minimumCapacity: Self.capacity)

    /// Why `generation` must be refused for a VM of the golden VM `golden`, or `nil` when it may be handed out
    /// (and is remembered from now on).
    mutating func admit(_ generation: GenerationID, golden: GenerationID?) -> String? {
        if generation == golden {
            return "the guest reports the golden VM's generation id \(generation): the restore gave it no new one"
        }
        if seen.contains(generation) {
            return "the guest reports generation id \(generation), already handed out with another clone"
        }
        if order.count == Self.capacity, let oldest = order.popFirst() { seen.remove(oldest) }
        order.append(generation)
        seen.insert(generation)
        return nil
    }
}
