import HostSystem
package import MicroVM
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
package struct SimulatedBackend<SimulationClock: Clock<Duration>>: VMBackend {
    /// The latencies of each stage.
    package struct Latencies: Sendable, Equatable, Codable {
        /// Process start → API socket.
        package var processStart: LatencyDistribution = .logNormal(
            median: .microseconds(1_500),
            p95: .microseconds(2_500)
        )
        /// `PUT /snapshot/load`.
        package var load: LatencyDistribution = .logNormal(median: .microseconds(12_400), p95: .microseconds(15_500))
        /// `PATCH /vm` resume.
        package var resume: LatencyDistribution = .logNormal(median: .microseconds(700), p95: .microseconds(1_000))
        /// Resume → guest readiness line.
        package var readiness: LatencyDistribution = .logNormal(median: .microseconds(700), p95: .microseconds(2_500))
        /// Readiness → the guest's report of its first work; `nil`: the simulated guest does none.
        package var work: LatencyDistribution?

        /// The reference numbers of DESIGN.md.
        package init() {}
    }

    package var kind: BackendKind { .simulated }

    /// The clock latencies are slept on.
    package let clock: SimulationClock
    /// The stage latencies.
    package let latencies: Latencies
    /// Failure and crash injection.
    package let faults: SimulatedFaults
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
    package init(clock: SimulationClock, seed: UInt64 = 1, latencies: Latencies = Latencies()) {
        self.clock = clock
        self.latencies = latencies
        self.faults = SimulatedFaults()
        self.shared = Shared(seed: seed)
    }

    /// VMs restored and not yet destroyed, by id.
    package var liveVMs: [String] { shared.live.withLock { Array($0.keys).sorted() } }

    package func prepare() async throws {
        if let error = faults.takePrepareFailure() { throw error }
    }

    package func reclaimOrphans() async -> Int { 0 }

    package func isSnapshotFailure(_ error: any Error) -> Bool {
        (error as? SimulatedFailure)?.kind == .snapshotInvalid
    }

    package func restore(id: String) async throws -> SimulatedVM<SimulationClock> {
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

    package func snapshotFailed(_ error: any Error) async {
        faults.recordSnapshotFailure()
    }

    package func shutdown() async {}

    /// Kills a live VM as if its VMM crashed.
    ///
    /// - Returns: whether a VM with that id was alive.
    @discardableResult
    package func crash(_ id: String) -> Bool {
        guard let vm = shared.live.withLock({ $0[id] }) else { return false }
        vm.end("killed by signal 9")
        return true
    }

    /// The generation id the simulated golden VM "booted" with.
    package static var goldenGeneration: GenerationID { GenerationID(high: 0x5EED, low: 0x601D) }

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
package final class SimulatedFaults: Sendable {
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
    package func failNextRestores(
        _ count: Int,
        with error: SimulatedFailure = SimulatedFailure(.restoreFailed, "simulated restore failure")
    ) {
        state.withLock { $0.restoreFailures += Array(repeating: error, count: count) }
    }

    /// The next `count` resumes fail readiness.
    package func failNextResumes(_ count: Int) {
        state.withLock { $0.resumeFailures += count }
    }

    /// The next `count` resumes take `extra` longer to prove readiness (a straggler: a descheduled or frozen VM;
    /// one slower than the readiness timeout never proves it).
    package func slowNextResumes(_ count: Int, by extra: Duration) {
        state.withLock { $0.slowResumes += Array(repeating: extra, count: count) }
    }

    func takeSlowResume() -> Duration {
        state.withLock { $0.slowResumes.isEmpty ? .zero : $0.slowResumes.removeFirst() }
    }

    /// The next `count` resumes report the golden VM's generation id, as a Firecracker that stopped writing a
    /// new VMGenID on restore would.
    package func repeatGenerations(_ count: Int) {
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
    package func failPrepare(with error: SimulatedFailure) {
        state.withLock { $0.prepareFailure = error }
    }

    /// How many times the pool reported a bad snapshot.
    package var snapshotFailuresReported: Int { state.withLock { $0.snapshotFailuresReported } }

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
package final class SimulatedVM<SimulationClock: Clock<Duration>>: BackendVM {
    private struct State {
        var timings: StageTimings
        var exit: String?
        var exitWaiters: [CheckedContinuation<String, Never>] = []
        var resumes = 0
    }

    package let id: String
    package var pid: Int32? { nil }
    private let backend: SimulatedBackend<SimulationClock>
    private let state: Mutex<State>

    init(id: String, backend: SimulatedBackend<SimulationClock>, timings: StageTimings) {
        self.id = id
        self.backend = backend
        self.state = Mutex(State(timings: timings))
    }

    package var timings: StageTimings { state.withLock { $0.timings } }
    package var isAlive: Bool { state.withLock { $0.exit == nil } }
    package var goldenGeneration: GenerationID? { SimulatedBackend<SimulationClock>.goldenGeneration }

    package func resume(timeout: Duration) async throws -> ReadinessProof {
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

    package func waitForWork(timeout: Duration) async throws -> WorkReport? {
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

    package func collectTimings() async -> StageTimings { timings }

    package func waitForExit() async -> String {
        await withCheckedContinuation { continuation in
            let exit = state.withLock { state -> String? in
                if let exit = state.exit { return exit }
                state.exitWaiters.append(continuation)
                return nil
            }
            if let exit { continuation.resume(returning: exit) }
        }
    }

    package func destroy() async {
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
