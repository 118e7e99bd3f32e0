import HostSystem
public import MicroVM
import Randomness
import Synchronization

/// A backend without VMs: stage latencies are drawn from distributions (by default this machine's reference
/// numbers from DESIGN.md) and slept on the pool's clock; failures and crashes happen on demand.
///
/// It exists for fast, deterministic pool-logic tests and for hosts without KVM. Results it produces say
/// `backend: simulated` and can never pass a sign-off gate.
///
/// ```swift
/// let backend = SimulatedBackend(clock: ContinuousClock(), seed: 42)
/// backend.faults.failNextRestores(2)
/// ```
public struct SimulatedBackend<SimulationClock: Clock<Duration>>: VMBackend {
    /// The latencies of each stage.
    public struct Latencies: Sendable, Equatable, Codable {
        /// Process start → API socket.
        public var processStart: LatencyDistribution = .logNormal(
            median: .microseconds(1_500),
            p95: .microseconds(2_500)
        )
        /// `PUT /snapshot/load`.
        public var load: LatencyDistribution = .logNormal(median: .microseconds(12_400), p95: .microseconds(15_500))
        /// `PATCH /vm` resume.
        public var resume: LatencyDistribution = .logNormal(median: .microseconds(700), p95: .microseconds(1_000))
        /// Resume → guest readiness line.
        public var readiness: LatencyDistribution = .logNormal(median: .microseconds(700), p95: .microseconds(2_500))
        /// Readiness → the guest's report of its first work; `nil`: the simulated guest does none.
        public var work: LatencyDistribution?

        /// The reference numbers of DESIGN.md.
        public init() {}
    }

    public var kind: BackendKind { .simulated }

    /// The clock latencies are slept on.
    public let clock: SimulationClock
    /// The stage latencies.
    public let latencies: Latencies
    /// Failure and crash injection.
    public let faults: SimulatedFaults
    private let shared: Shared

    /// The generator and the live VMs, shared by every copy of the backend.
    private final class Shared: Sendable {
        let random: Mutex<SplitMix64>
        let live = Mutex<[String: SimulatedVM<SimulationClock>]>([:])
        init(seed: UInt64) { random = Mutex(SplitMix64(seed: seed, label: "simulated-backend")) }
    }

    /// Creates a simulated backend.
    ///
    /// - Parameters:
    ///   - clock: the clock stage latencies are slept on (a test clock makes runs instant and exact).
    ///   - seed: the random seed; the same seed draws the same latencies.
    ///   - latencies: the distributions of each stage.
    public init(clock: SimulationClock, seed: UInt64 = 1, latencies: Latencies = Latencies()) {
        self.clock = clock
        self.latencies = latencies
        self.faults = SimulatedFaults()
        self.shared = Shared(seed: seed)
    }

    /// VMs restored and not yet destroyed, by id.
    public var liveVMs: [String] { shared.live.withLock { Array($0.keys).sorted() } }

    public func prepare() async throws {
        if let error = faults.takePrepareFailure() { throw error }
    }

    public func reclaimOrphans() async -> Int { 0 }

    public func isSnapshotFailure(_ error: any Error) -> Bool {
        (error as? SimulatedFailure)?.kind == .snapshotInvalid
    }

    public func restore(id: String) async throws -> SimulatedVM<SimulationClock> {
        let startedAt = ContinuousClock.now
        let (processStart, load) = shared.random.withLock {
            ($0.sample(latencies.processStart), $0.sample(latencies.load))
        }
        try await clock.sleep(for: processStart + load)
        if let error = faults.takeRestoreFailure() { throw error }
        let vm = SimulatedVM(
            id: id,
            backend: self,
            timings: StageTimings(
                processStart: processStart,
                load: load,
                firecrackerLoad: load * 0.95,
                startedAt: startedAt
            )
        )
        shared.live.withLock { $0[id] = vm }
        return vm
    }

    public func snapshotFailed(_ error: any Error) async {
        faults.recordSnapshotFailure()
    }

    public func shutdown() async {}

    /// Kills a live VM as if its VMM crashed.
    ///
    /// - Returns: whether a VM with that id was alive.
    @discardableResult
    public func crash(_ id: String) -> Bool {
        guard let vm = shared.live.withLock({ $0[id] }) else { return false }
        vm.end("killed by signal 9")
        return true
    }

    /// The generation id the simulated golden VM "booted" with.
    public static var goldenGeneration: GenerationID { GenerationID(high: 0x5EED, low: 0x601D) }

    /// A fresh generation id for a resumed clone, as Firecracker writes one on every restore; or, after
    /// ``SimulatedFaults/repeatGenerations(_:)``, the golden one again.
    func nextGeneration() -> GenerationID {
        if faults.takeRepeatedGeneration() { return Self.goldenGeneration }
        return shared.random.withLock { GenerationID(high: $0.next(), low: $0.next()) }
    }

    func sampleResume() -> (Duration, Duration) {
        shared.random.withLock { ($0.sample(latencies.resume), $0.sample(latencies.readiness)) }
    }

    func sampleWork(_ distribution: LatencyDistribution) -> Duration {
        shared.random.withLock { $0.sample(distribution) }
    }

    func forget(_ id: String) {
        _ = shared.live.withLock { $0.removeValue(forKey: id) }
    }
}

extension SplitMix64 {
    mutating func sample(_ distribution: LatencyDistribution) -> Duration {
        distribution.sample(&self)
    }
}

/// Failures a ``SimulatedBackend`` produces on request.
public final class SimulatedFaults: Sendable {
    private struct State {
        var restoreFailures: [SimulatedFailure] = []
        var resumeFailures = 0
        var prepareFailure: SimulatedFailure?
        var snapshotFailuresReported = 0
        var repeatedGenerations = 0
        var slowResumes: [Duration] = []
    }

    private let state = Mutex(State())

    /// The next `count` restores fail with `error`.
    public func failNextRestores(
        _ count: Int,
        with error: SimulatedFailure = SimulatedFailure(.restoreFailed, "simulated restore failure")
    ) {
        state.withLock { $0.restoreFailures += Array(repeating: error, count: count) }
    }

    /// The next `count` resumes fail readiness.
    public func failNextResumes(_ count: Int) {
        state.withLock { $0.resumeFailures += count }
    }

    /// The next `count` resumes take `extra` longer to prove readiness (a straggler: a descheduled or frozen VM;
    /// one slower than the readiness timeout never proves it).
    public func slowNextResumes(_ count: Int, by extra: Duration) {
        state.withLock { $0.slowResumes += Array(repeating: extra, count: count) }
    }

    func takeSlowResume() -> Duration {
        state.withLock { $0.slowResumes.isEmpty ? .zero : $0.slowResumes.removeFirst() }
    }

    /// The next `count` resumes report the golden VM's generation id, as a Firecracker that stopped writing a
    /// new VMGenID on restore would.
    public func repeatGenerations(_ count: Int) {
        state.withLock { $0.repeatedGenerations += count }
    }

    func takeRepeatedGeneration() -> Bool {
        state.withLock { state in
            guard state.repeatedGenerations > 0 else { return false }
            state.repeatedGenerations -= 1
            return true
        }
    }

    /// `prepare()` fails once with `error`.
    public func failPrepare(with error: SimulatedFailure) {
        state.withLock { $0.prepareFailure = error }
    }

    /// How many times the pool reported a bad snapshot.
    public var snapshotFailuresReported: Int { state.withLock { $0.snapshotFailuresReported } }

    func takeRestoreFailure() -> SimulatedFailure? {
        state.withLock { $0.restoreFailures.isEmpty ? nil : $0.restoreFailures.removeFirst() }
    }

    func takeResumeFailure() -> Bool {
        state.withLock { state in
            guard state.resumeFailures > 0 else { return false }
            state.resumeFailures -= 1
            return true
        }
    }

    func takePrepareFailure() -> SimulatedFailure? {
        state.withLock { state in
            defer { state.prepareFailure = nil }
            return state.prepareFailure
        }
    }

    func recordSnapshotFailure() {
        state.withLock { $0.snapshotFailuresReported += 1 }
    }
}

/// A VM of the ``SimulatedBackend``.
public final class SimulatedVM<SimulationClock: Clock<Duration>>: BackendVM {
    private struct State {
        var timings: StageTimings
        var exit: String?
        var exitWaiters: [CheckedContinuation<String, Never>] = []
        var resumes = 0
    }

    public let id: String
    public var pid: Int32? { nil }
    private let backend: SimulatedBackend<SimulationClock>
    private let state: Mutex<State>

    init(id: String, backend: SimulatedBackend<SimulationClock>, timings: StageTimings) {
        self.id = id
        self.backend = backend
        self.state = Mutex(State(timings: timings))
    }

    public var timings: StageTimings { state.withLock { $0.timings } }
    public var isAlive: Bool { state.withLock { $0.exit == nil } }
    public var goldenGeneration: GenerationID? { SimulatedBackend<SimulationClock>.goldenGeneration }

    public func resume(timeout: Duration) async throws -> ReadinessProof {
        guard isAlive else { throw SimulatedFailure(.vmExited, "the simulated VM \(id) is dead") }
        var (resume, readiness) = backend.sampleResume()
        readiness += backend.faults.takeSlowResume()
        if backend.faults.takeResumeFailure() {
            try await backend.clock.sleep(for: min(timeout, resume + readiness))
            throw SimulatedFailure(.guestNotReady, "simulated readiness failure of \(id)")
        }
        guard resume + readiness <= timeout else {
            try await backend.clock.sleep(for: timeout)
            throw SimulatedFailure(.guestNotReady, "the simulated guest \(id) was not ready within \(timeout)")
        }
        try await backend.clock.sleep(for: resume + readiness)
        guard isAlive else { throw SimulatedFailure(.vmExited, "the simulated VM \(id) died during resume") }
        let count = state.withLock { state in
            state.timings.resume = resume
            state.timings.readiness = readiness
            state.resumes += 1
            return state.resumes
        }
        let generation = backend.nextGeneration()
        return ReadinessProof(token: "SIMULATED-RESUMED gen=\(generation) id=\(id) n=\(count)", observedAt: .now)
    }

    public func waitForWork(timeout: Duration) async throws -> WorkReport? {
        guard let distribution = backend.latencies.work else { return nil }
        let delay = backend.sampleWork(distribution)
        guard delay <= timeout else {
            try await backend.clock.sleep(for: timeout)
            throw SimulatedFailure(
                .guestNotReady,
                "the simulated guest \(id) did not finish its work within \(timeout)"
            )
        }
        try await backend.clock.sleep(for: delay)
        let microseconds = Int(delay.inMilliseconds * 1_000)
        return WorkReport(token: "W\(microseconds)/0", guestMicroseconds: microseconds, wrongPages: 0, observedAt: .now)
    }

    public func collectTimings() async -> StageTimings { timings }

    public func waitForExit() async -> String {
        await withCheckedContinuation { continuation in
            let exit = state.withLock { state -> String? in
                if let exit = state.exit { return exit }
                state.exitWaiters.append(continuation)
                return nil
            }
            if let exit { continuation.resume(returning: exit) }
        }
    }

    public func destroy() async {
        end("destroyed")
    }

    func end(_ reason: String) {
        let waiters = state.withLock { state -> [CheckedContinuation<String, Never>] in
            guard state.exit == nil else { return [] }
            state.exit = reason
            defer { state.exitWaiters = [] }
            return state.exitWaiters
        }
        backend.forget(id)
        for waiter in waiters { waiter.resume(returning: reason) }
    }
}
