import DequeModule
import Logging
package import MicroVM

// MARK: - Acquire and release

extension SnapshotPool {
    /// Hands out a VM that is resumed and has proven readiness: a warm one when there is one, else one
    /// restored on demand when capacity allows, else the first to become available (FIFO).
    ///
    /// A warm VM that turns out dead, or fails readiness, is destroyed and the acquire goes on with another
    /// within its deadline.
    ///
    /// - Parameter timeout: how long the acquire may take (default ``PoolConfiguration/acquireTimeout``).
    /// - Returns: the lease; release it with ``release(_:)``.
    /// - Throws: `PoolError` — `.capacity` or `.deadline` when time runs out, `.memoryPressure`,
    ///   `.snapshotInvalid`, `.backendFailure`, `.shuttingDown` — or `CancellationError`.
    package nonisolated func acquire(timeout: Duration? = nil) async throws -> Lease {
        // Taken before the hop onto the actor: waiting for the actor is the pool's time, not the caller's.
        let requested = clock.now
        return try await acquire(requested: requested, timeout: timeout)
    }

    private func acquire(requested: PoolClock.Instant, timeout: Duration?) async throws -> Lease {
        let deadline = requested.advanced(by: timeout ?? configuration.acquireTimeout)
        do {
            return try await acquire(requested: requested, deadline: deadline)
        } catch {
            counters.failures[PoolError.outcome(of: error), default: 0] += 1
            throw error
        }
    }

    /// Acquires a VM, runs `body` with it, and releases it whether `body` returns or throws.
    ///
    /// ```swift
    /// let token = try await pool.withLease { $0.proof.token }
    /// ```
    package func withLease<T: Sendable>(timeout: Duration? = nil, _ body: (Lease) async throws -> T) async throws -> T {
        let lease = try await acquire(timeout: timeout)
        do {
            let result = try await body(lease)
            await release(lease)
            return result
        } catch {
            await release(lease)
            throw error
        }
    }

    /// Waits for the guest of `lease` to report its first work after the resume (see `BackendVM.waitForWork`).
    ///
    /// ```swift
    /// let lease = try await pool.acquire()
    /// if let work = try await pool.work(of: lease, timeout: .seconds(5)) { print(work.guestMicroseconds) }
    /// ```
    ///
    /// - Returns: the report; `nil` when the guest does no such work.
    /// - Throws: ``PoolError`` `.shuttingDown` when the lease is no longer out, or the backend's error when
    ///   the report does not come in time.
    package func work(of lease: Lease, timeout: Duration) async throws -> WorkReport? {
        guard let vm = leased[lease.vmID] else {
            throw PoolError(.shuttingDown, "lease \(lease.vmID) is not out any more")
        }
        return try await vm.waitForWork(timeout: timeout)
    }

    /// Checks that a lease's VM has every device it was made with (``BackendVM/checkDevices()``), while the
    /// lease is out and off its spawn.
    ///
    /// ```swift
    /// let lease = try await pool.acquire()
    /// if let problems = try await pool.checkDevices(of: lease), !problems.isEmpty { print(problems) }
    /// ```
    ///
    /// - Returns: the problems found, empty when every device is there; `nil` when the VM has none to check.
    /// - Throws: ``PoolError`` `.shuttingDown` when the lease is no longer out.
    package func checkDevices(of lease: Lease) async throws -> [String]? {
        guard let vm = leased[lease.vmID] else {
            throw PoolError(.shuttingDown, "lease \(lease.vmID) is not out any more")
        }
        return await vm.checkDevices()
    }

    /// Ends a lease: the VM is destroyed (never reused), and its capacity goes to a waiter or to refill.
    /// Releasing twice, or after shutdown, does nothing.
    ///
    /// - Returns: the VM's stage timings as they stand at its end (with what could only be collected off the
    ///   caller's path, such as Firecracker's own load metric of an on-demand restore); `nil` when the lease
    ///   was already released.
    @discardableResult
    package func release(_ lease: Lease) async -> StageTimings? {
        guard let vm = leased.removeValue(forKey: lease.vmID) else { return nil }
        counters.released += 1
        let timings = await vm.collectTimings()
        await vm.destroy()
        emit(.released(vmID: lease.vmID))
        capacityFreed()
        return timings
    }

    private func acquire(requested: PoolClock.Instant, deadline: PoolClock.Instant) async throws -> Lease {
        // The typed reason of the last readiness failure: an acquire that ends at its deadline after its VMs failed
        // that way ends as that (`agent_timeout`, `repeated_generation`) rather than a bare `deadline`.
        var readinessFailure: PoolError?
        while true {
            try Task.checkCancellation()
            guard phase != .draining, phase != .stopped else {
                throw PoolError(.shuttingDown, "the pool is not running")
            }
            guard clock.now < deadline else {
                throw readinessFailure ?? PoolError(.deadline, "no VM could be made ready before the deadline")
            }
            let handoff: Handoff
            if phase != .running {
                // Still starting: queue, and be served first once the pool runs.
                handoff = try await waitForHandoff(until: deadline)
            } else if waiters.isEmpty, let entry = warm.popFirst() {
                // Refill starts once the lease is out: a restore spawning beside the resume would slow it.
                handoff = .warm(entry)
            } else if waiters.isEmpty, pressure == .critical {
                throw PoolError(.memoryPressure, "memory pressure is critical: on-demand restores are refused")
            } else if waiters.isEmpty, totalVMs < configuration.maximumVMs {
                restoringOnDemand += 1
                handoff = .capacity
            } else {
                handoff = try await waitForHandoff(until: deadline)
            }
            let assigned = clock.now
            let onDemand = if case .capacity = handoff { true } else { false }
            if onDemand { onDemandInFlight += 1 }
            let lease: Lease?
            do {
                lease = try await serve(
                    handoff,
                    requested: requested,
                    assigned: assigned,
                    deadline: deadline,
                    readinessFailure: &readinessFailure
                )
            } catch {
                if onDemand { onDemandFinished() }
                throw error
            }
            if onDemand { onDemandFinished() }
            if let lease {
                requestRefill()
                return lease
            }
        }
    }

    /// Turns a handoff into a lease; `nil` when the VM was unusable and the acquire should go on (a readiness
    /// failure with a typed reason is left in `readinessFailure`).
    private func serve(
        _ handoff: Handoff,
        requested: PoolClock.Instant,
        assigned: PoolClock.Instant,
        deadline: PoolClock.Instant,
        readinessFailure: inout PoolError?
    ) async throws -> Lease? {
        var vm: Backend.VM
        var path: LeasePath
        switch handoff {
        case .warm(let entry):
            vm = entry.vm
            path = .warm
            guard vm.isAlive else {
                // Died between its crash watch and now: counted and replaced like any warm crash.
                counters.warmCrashes += 1
                emit(.crashed(vmID: vm.id, whileWarm: true, reason: "found dead at hand-out"))
                await vm.destroy()
                capacityFreed()
                return nil
            }
            leased[vm.id] = vm
        case .capacity:
            path = .onDemand
            do {
                vm = try await backend.restore(id: makeID("od"))
            } catch {
                onDemandRestoreFailed(error)
                if backend.isSnapshotFailure(error) {
                    emit(.snapshotFailed(reason: "\(error)"))
                    await backend.snapshotFailed(error)
                    throw PoolError(.snapshotInvalid, "the golden snapshot failed to load: \(error)")
                }
                throw PoolError(.backendFailure, "on-demand restore failed: \(error)")
            }
            restoringOnDemand -= 1
            restoreFinished()
            guard phase == .running else {
                await vm.destroy()
                throw PoolError(.shuttingDown, "the pool shut down during the restore")
            }
            leased[vm.id] = vm
            commandSink.yield(.watch(vm))
        }
        let proof: ReadinessProof
        do {
            if configuration.hedging.enabled {
                (vm, path, proof) = try await hedgedResume(vm, path: path, deadline: deadline)
            } else {
                proof = try await vm.resume(timeout: readinessTimeout(until: deadline))
            }
            if let generation = proof.generation,
                let refusal = generations.admit(generation, golden: vm.goldenGeneration)
            {
                throw PoolError(.repeatedGeneration, refusal)
            }
            let stages = vm.timings
            readinessHistory.record((stages.resume ?? .zero) + (stages.readiness ?? .zero))
        } catch {
            // A hedged acquire names the VM that failed last; the other was counted already.
            let failure = error as? HedgeFailure
            let error = failure?.error ?? error
            if let failed = failure?.vm { vm = failed }
            if let typed = error as? PoolError {
                readinessFailure = typed
            } else if let code = backend.readinessOutcome(of: error) {
                readinessFailure = PoolError(code, "\(error)")
            }
            await readinessFailed(vm, error: error)
            if path == .onDemand, clock.now >= deadline {
                throw readinessFailure
                    ?? PoolError(.deadline, "the VM did not prove readiness before the deadline: \(error)")
            }
            return nil
        }
        guard phase == .running, leased[vm.id] != nil else {
            if leased.removeValue(forKey: vm.id) != nil { await vm.destroy() }
            throw PoolError(.shuttingDown, "the pool shut down while the VM resumed")
        }
        switch path {
        case .warm: counters.warmHits += 1
        case .onDemand: counters.onDemand += 1
        }
        nextID += 1
        let lease = Lease(
            id: nextID,
            vmID: vm.id,
            pid: vm.pid,
            path: path,
            proof: proof,
            timings: LeaseTimings(
                queueWait: requested.duration(to: assigned),
                stages: vm.timings,
                acquire: requested.duration(to: clock.now)
            )
        )
        emit(.leased(vmID: vm.id, path: path))
        return lease
    }

    func readinessTimeout(until deadline: PoolClock.Instant) -> Duration {
        let remaining = clock.now.duration(to: deadline)
        return max(.milliseconds(1), min(configuration.readinessTimeout, remaining))
    }

    /// Queues the caller (FIFO) until a VM or capacity is handed to it, or the deadline passes.
    private func waitForHandoff(until deadline: PoolClock.Instant) async throws -> Handoff {
        nextID += 1
        let id = nextID
        requestRefill()
        let clock = self.clock
        return try await withThrowingTaskGroup(of: Handoff?.self) { group in
            group.addTask {
                try await withTaskCancellationHandler {
                    try await self.enqueue(id)
                } onCancel: {
                    Task { await self.cancelWaiter(id) }
                }
            }
            group.addTask {
                try? await clock.sleep(until: deadline, tolerance: nil)
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let handoff = result { return handoff }
                // The deadline passed (or the caller was cancelled). Still queued: withdraw. Otherwise a handoff
                // (or an error) raced the timer, and the queued child returns it on the next turn, so a VM
                // handed over at the deadline is used rather than lost.
                guard withdraw(id) else { continue }
                try Task.checkCancellation()
                throw PoolError(.capacity, "all \(configuration.maximumVMs) VMs were in use until the deadline")
            }
            throw CancellationError()
        }
    }

    private func enqueue(_ id: UInt64) async throws -> Handoff {
        try await withCheckedThrowingContinuation { continuation in
            guard phase != .draining, phase != .stopped else {
                continuation.resume(throwing: PoolError(.shuttingDown, "the pool is not running"))
                return
            }
            waiters.append(Waiter(id: id, continuation: continuation))
        }
    }

    /// Removes waiter `id` from the queue; `false` when it had already left it (handed a VM or answered).
    private func withdraw(_ id: UInt64) -> Bool {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return false }
        let waiter = waiters.remove(at: index)
        waiter.continuation.resume(throwing: PoolError(.capacity, "withdrawn at the deadline"))
        return true
    }

    private func cancelWaiter(_ id: UInt64) {
        if let index = waiters.firstIndex(where: { $0.id == id }) {
            let waiter = waiters.remove(at: index)
            waiter.continuation.resume(throwing: CancellationError())
        }
    }
}
