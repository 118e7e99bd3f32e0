import DequeModule
import HostSystem
import Logging
import MicroVM

// MARK: - Hedged acquires

extension SnapshotPool {
    /// A hedged acquire whose every VM failed its readiness: the last one to fail, and why.
    struct HedgeFailure: Error {
        var vm: Backend.VM
        var error: any Error
    }

    /// Resumes `first` and, when it has not proved readiness after the hedge delay and the budget allows, takes a
    /// second VM (the next warm one, else one restored on demand) and resumes it too: the first to prove readiness
    /// wins. The other is left to end its resume in the pool's task group and is then destroyed, never handed out;
    /// one that never proves readiness is counted as a readiness failure at its timeout, as without hedging.
    ///
    /// - Returns: the winner, its path and its proof.
    /// - Throws: ``HedgeFailure`` with the last VM to fail when none proved readiness (any other was destroyed
    ///   and counted already); a restore's error never escapes: a hedge that cannot be made is not made.
    func hedgedResume(
        _ first: Backend.VM,
        path firstPath: LeasePath,
        deadline: PoolClock.Instant
    ) async throws -> (Backend.VM, LeasePath, ReadinessProof) {
        let timeout = readinessTimeout(until: deadline)
        // Every attempt ends within its timeout; this bound only guards against one the stopping pool never ran.
        let end = clock.now.advanced(by: timeout + .seconds(1))
        let original = ResumeAttempt(vm: first, timeout: timeout)
        commandSink.yield(.attempt(original))
        var pending: [(ResumeAttempt<Backend.VM>, LeasePath)] = [(original, firstPath)]
        let delay = configuration.hedging.delay(readinessHistory)
        // A hedge each time the delay passes with no VM ready, up to `maximumInFlight` VMs: the next warm VM may be
        // frozen too (a fault that stops several at once).
        while pending.count < Hedging.maximumInFlight,
            await firstEnded(pending.map(\.0), until: clock.now.advanced(by: delay), clock: clock) == nil,
            phase == .running, let (hedge, hedgePath) = await takeHedge(for: first, delay: delay, deadline: deadline)
        {
            let attempt = ResumeAttempt(vm: hedge, timeout: readinessTimeout(until: deadline))
            commandSink.yield(.attempt(attempt))
            pending.append((attempt, hedgePath))
        }
        let hedges = pending.count - 1
        while true {
            guard let index = await firstEnded(pending.map(\.0), until: end, clock: clock) else {
                let (attempt, _) = pending.removeLast()
                for (other, _) in pending { await abandon(other) }
                throw HedgeFailure(vm: attempt.vm, error: PoolError(.shuttingDown, "the pool stopped during a resume"))
            }
            let (attempt, path) = pending.remove(at: index)
            switch attempt.result {
            case .success(let proof)?:
                for (other, _) in pending {
                    await abandon(other)
                    emit(.hedgeDecided(winnerID: attempt.vm.id, loserID: other.vm.id, hedgeWon: attempt !== original))
                }
                // Each hedge VM either won or was wasted.
                let won = attempt === original ? 0 : 1
                counters.hedgesWon += won
                counters.hedgesWasted += hedges - won
                return (attempt.vm, path, proof)
            case .failure(let error)?:
                guard !pending.isEmpty else { throw HedgeFailure(vm: attempt.vm, error: error) }
                // Another VM is still trying: this one is done with.
                await readinessFailed(attempt.vm, error: error)
            case nil:
                preconditionFailure("firstEnded returned an attempt that has not ended")
            }
        }
    }

    /// The hedge's VM, taken from the warm set or restored on demand; `nil` when the budget is spent, no VM can
    /// be had, or the pool stopped meanwhile.
    private func takeHedge(
        for first: Backend.VM,
        delay: Duration,
        deadline: PoolClock.Instant
    ) async -> (Backend.VM, LeasePath)? {
        guard clock.now < deadline,
            hedgeBudget.take(at: createdAt.duration(to: clock.now), perSecond: configuration.hedging.perSecond)
        else { return nil }
        while let entry = warm.popFirst() {
            let vm = entry.vm
            guard vm.isAlive else {
                counters.warmCrashes += 1
                emit(.crashed(vmID: vm.id, whileWarm: true, reason: "found dead when taken as a hedge"))
                await vm.destroy()
                capacityFreed()
                continue
            }
            leased[vm.id] = vm
            counters.hedges += 1
            emit(.hedged(vmID: first.id, hedgeVMID: vm.id, delay: delay, restored: false))
            requestRefill()
            return (vm, .warm)
        }
        guard totalVMs < configuration.maximumVMs, pressure != .critical else { return nil }
        restoringOnDemand += 1
        let restored: Backend.VM
        do {
            restored = try await backend.restore(id: makeID("hedge"))
        } catch {
            onDemandRestoreFailed(error)
            return nil
        }
        restoringOnDemand -= 1
        restoreFinished()
        guard phase == .running else {
            await restored.destroy()
            return nil
        }
        leased[restored.id] = restored
        commandSink.yield(.watch(restored))
        counters.hedges += 1
        counters.hedgeRestores += 1
        emit(.hedged(vmID: first.id, hedgeVMID: restored.id, delay: delay, restored: true))
        return (restored, .onDemand)
    }

    /// A VM the acquire stopped waiting for: destroyed once its resume ends (now, when it already has).
    private func abandon(_ attempt: ResumeAttempt<Backend.VM>) async {
        guard leased.removeValue(forKey: attempt.vm.id) != nil else { return }
        stragglers[attempt.vm.id] = attempt.vm
        // Ended already: the task group may have told the pool before it was a straggler.
        if attempt.result != nil { await attemptEnded(attempt) }
    }

    /// Told by the task group that `attempt` ended: a straggler's VM is destroyed now — counted as a readiness
    /// failure when it never proved readiness; one that proved it late was a wasted VM, never handed out.
    func attemptEnded(_ attempt: ResumeAttempt<Backend.VM>) async {
        guard let vm = stragglers.removeValue(forKey: attempt.vm.id) else { return }
        if case .failure(let error)? = attempt.result, phase == .running {
            counters.readinessFailures += 1
            emit(.readinessFailed(vmID: vm.id, reason: "\(error)"))
        }
        await vm.destroy()
        capacityFreed()
    }

    /// An on-demand restore (an acquire's or a hedge's) that failed: its slot and capacity freed, the failure
    /// counted and told.
    func onDemandRestoreFailed(_ error: any Error) {
        restoringOnDemand -= 1
        restoreFinished()
        counters.restoreFailures += 1
        emit(.restoreFailed(reason: "\(error)"))
        capacityFreed()
    }

    /// A VM that failed to prove readiness: counted, audited and destroyed; its capacity freed.
    func readinessFailed(_ vm: Backend.VM, error: any Error) async {
        leased[vm.id] = nil
        counters.readinessFailures += 1
        emit(.readinessFailed(vmID: vm.id, reason: "\(error)"))
        logger.warning("VM failed readiness; trying another", metadata: ["vm.id": "\(vm.id)", "error": "\(error)"])
        await vm.destroy()
        capacityFreed()
    }
}
