import DequeModule
import Logging

// MARK: - Running and draining

extension SnapshotPool {
    /// Prepares the backend, reclaims a predecessor's leftovers, then refills and watches VMs until
    /// ``shutdown()``. Cancelling the task that runs it shuts the pool down.
    ///
    /// - Throws: `PoolError(.invalidConfiguration)`, `PoolError(.shuttingDown)` when called twice, or the
    ///   backend's preparation error.
    package func run() async throws {
        guard phase == .idle else { throw PoolError(.shuttingDown, "run() was already called on this pool") }
        guard configuration.problems.isEmpty else {
            phase = .stopped
            eventSink.finish()
            throw PoolError(.invalidConfiguration, configuration.problems.joined(separator: "; "))
        }
        phase = .starting
        do {
            let reclaimed = await backend.reclaimOrphans()
            try await backend.prepare()
            guard phase == .starting else { throw PoolError(.shuttingDown, "shut down while starting") }
            phase = .running
            services.audit?.record(
                .configuration,
                [
                    "pool.warm_target": String(configuration.warmTarget),
                    "pool.maximum_vms": String(configuration.maximumVMs),
                    "pool.refill_concurrency": String(configuration.refillConcurrency),
                    "backend": backend.kind.rawValue,
                ]
            )
            emit(.started(reclaimed: reclaimed))
        } catch {
            phase = .stopped
            finishWaiters()
            await backend.shutdown()
            eventSink.finish()
            throw error
        }
        requestRefill()
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                if let age = configuration.maximumWarmAge {
                    group.addTask { await self.expireWarmVMs(every: age / 4) }
                }
                if let monitoring = services.pressure {
                    let monitor = MemoryPressureMonitor(
                        source: AnyPressureSource(base: monitoring.source),
                        clock: clock,
                        interval: monitoring.interval,
                        thresholds: monitoring.thresholds
                    )
                    pressureMonitor = monitor
                    group.addTask { await monitor.run() }
                    group.addTask {
                        for await change in monitor.changes {
                            await self.apply(pressure: change.to, reading: change.reading)
                        }
                    }
                }
                for await command in commands {
                    switch command {
                    case .refill:
                        startRefills(in: &group)
                    case .watch(let vm):
                        group.addTask {
                            let reason = await vm.waitForExit()
                            await self.vmExited(vm.id, reason: reason)
                        }
                    case .attempt(let attempt):
                        group.addTask {
                            await attempt.run()
                            await self.attemptEnded(attempt)
                        }
                    case .stop:
                        group.cancelAll()
                        return
                    }
                }
            }
        } onCancel: {
            Task { await self.shutdown() }
        }
        // shutdown() may still be destroying VMs; the backend's resources go only after it has finished.
        if !drained {
            await withCheckedContinuation { runWaiters.append($0) }
        }
        phase = .stopped
        await backend.shutdown()
        emit(.drained)
        eventSink.finish()
    }

    /// Drains the pool: refuses new acquires, answers every waiter with `.shuttingDown`, destroys every VM
    /// (warm, restoring and leased), and returns when nothing is left.
    package func shutdown() async {
        switch phase {
        case .idle:
            phase = .stopped
            eventSink.finish()
            return
        case .stopped:
            return
        case .draining:
            // Another caller is draining; return when it is done.
            if !drained { await withCheckedContinuation { runWaiters.append($0) } }
            return
        case .starting, .running:
            break
        }
        phase = .draining
        finishWaiters()
        let vms = warm.map(\.vm) + Array(leased.values) + Array(stragglers.values)
        warm.removeAll()
        leased.removeAll()
        stragglers.removeAll()
        // Stopping the background work cancels refills in flight, so they end promptly.
        commandSink.yield(.stop)
        commandSink.finish()
        for vm in vms { await vm.destroy() }
        // Restores in flight destroy their VM themselves when they see the pool draining.
        if refilling + restoringOnDemand > 0 {
            await withCheckedContinuation { drainWaiters.append($0) }
        }
        drained = true
        let waiting = runWaiters
        runWaiters.removeAll()
        for waiter in waiting { waiter.resume() }
    }

    func finishWaiters() {
        let pending = waiters
        waiters.removeAll()
        for waiter in pending {
            waiter.continuation.resume(throwing: PoolError(.shuttingDown, "the pool is shutting down"))
        }
    }

    func restoreFinished() {
        if refilling + restoringOnDemand == 0, !drainWaiters.isEmpty {
            let pending = drainWaiters
            drainWaiters.removeAll()
            for waiter in pending { waiter.resume() }
        }
    }

    // MARK: - Refill

    /// How many warm VMs the pool aims for now, given memory pressure.
    var effectiveWarmTarget: Int {
        switch pressure {
        case .normal: configuration.warmTarget
        case .elevated: min(configuration.warmTarget, configuration.elevatedWarmFloor)
        case .critical: 0
        }
    }

    func requestRefill() {
        commandSink.yield(.refill)
    }

    /// An on-demand acquire has its lease, or failed: refill may go on once none is left.
    func onDemandFinished() {
        onDemandInFlight -= 1
        if onDemandInFlight == 0 { requestRefill() }
    }

    /// Starts background restores up to the warm target, except while acquires are being restored on demand:
    /// an acquirer waits for those, and a refill spawning beside them takes the CPU they need (measured in a
    /// burst of 16 on 4 warm VMs, where releases of the first leases started refills in the middle of the
    /// burst). Refill resumes when the last of them has its lease.
    private func startRefills(in group: inout DiscardingTaskGroup) {
        if let until = refillPausedUntil, clock.now < until { return }
        guard onDemandInFlight == 0 else { return }
        while phase == .running,
            refilling < configuration.refillConcurrency,
            warm.count + refilling < effectiveWarmTarget + waiters.count,
            totalVMs < configuration.maximumVMs
        {
            refilling += 1
            let id = makeID("warm")
            group.addTask { await self.refillOne(id: id) }
        }
    }

    /// How long refills pause after `failures` restores in a row failed.
    static func refillBackoff(afterFailures failures: Int) -> Duration {
        .milliseconds(min(1_000, 50 << min(5, max(0, failures - 1))))
    }

    private func refillOne(id: String) async {
        let result: Result<Backend.VM, any Error>
        do {
            result = .success(try await backend.restore(id: id))
        } catch {
            result = .failure(error)
        }
        refilling -= 1
        defer { restoreFinished() }
        switch result {
        case .success(let vm):
            guard phase == .running else {
                await vm.destroy()
                return
            }
            consecutiveRestoreFailures = 0
            refillPausedUntil = nil
            commandSink.yield(.watch(vm))
            emit(.warmAdded(vmID: vm.id))
            hand(WarmVM(vm: vm, warmedAt: clock.now))
            requestRefill()
        case .failure(let error):
            guard phase == .running else { return }
            counters.restoreFailures += 1
            emit(.restoreFailed(reason: "\(error)"))
            logger.warning("background restore failed", metadata: ["vm.id": "\(id)", "error": "\(error)"])
            if backend.isSnapshotFailure(error) {
                emit(.snapshotFailed(reason: "\(error)"))
                await backend.snapshotFailed(error)
            }
            guard phase == .running else { return }
            // Back off, doubling from 50 ms to 1 s while restores keep failing: a full disk or a broken
            // snapshot would otherwise have refills spinning (90 failed restores a second were measured).
            consecutiveRestoreFailures += 1
            let delay = Self.refillBackoff(afterFailures: consecutiveRestoreFailures)
            refillPausedUntil = clock.now.advanced(by: delay)
            try? await clock.sleep(for: delay)
            refillPausedUntil = nil
            requestRefill()
        }
    }

    /// Gives a newly warm VM to the first waiter, or adds it to the warm set.
    func hand(_ entry: WarmVM) {
        if let waiter = waiters.popFirst() {
            waiter.continuation.resume(returning: .warm(entry))
        } else {
            warm.append(entry)
        }
    }

    /// Capacity was freed: let the first waiter restore on demand when no warm VM is coming for it.
    func capacityFreed() {
        guard phase == .running else { return }
        if !waiters.isEmpty, warm.isEmpty, totalVMs < configuration.maximumVMs, pressure != .critical {
            let waiter = waiters.removeFirst()
            restoringOnDemand += 1
            waiter.continuation.resume(returning: .capacity)
        }
        requestRefill()
    }

    // MARK: - Crashes and ageing

    func vmExited(_ id: String, reason: String) async {
        if let index = warm.firstIndex(where: { $0.vm.id == id }) {
            let entry = warm.remove(at: index)
            counters.warmCrashes += 1
            emit(.crashed(vmID: id, whileWarm: true, reason: reason))
            logger.notice("warm VM died; replacing it", metadata: ["vm.id": "\(id)", "reason": "\(reason)"])
            await entry.vm.destroy()
            capacityFreed()
        } else if leased[id] != nil {
            counters.leasedCrashes += 1
            emit(.crashed(vmID: id, whileWarm: false, reason: reason))
        }
    }

    private func expireWarmVMs(every interval: Duration) async {
        while !Task.isCancelled, let age = configuration.maximumWarmAge {
            do { try await clock.sleep(for: interval) } catch { return }
            let now = clock.now
            while let oldest = warm.first, oldest.warmedAt.duration(to: now) >= age, phase == .running {
                warm.removeFirst()
                counters.expired += 1
                emit(.expired(vmID: oldest.vm.id))
                await oldest.vm.destroy()
            }
            capacityFreed()
        }
    }

    // MARK: - Memory pressure

    /// Applies a memory-pressure level: elevated holds refill at the floor; critical destroys warm VMs and
    /// refuses on-demand restores until it recovers.
    package func apply(pressure level: PressureLevel, reading: MemoryPressureReading? = nil) async {
        if let reading { latestPressureReading = reading }
        guard level != pressure else { return }
        pressure = level
        emit(.pressureChanged(level: level))
        if level == .critical, !warm.isEmpty {
            let shed = warm.map(\.vm)
            warm.removeAll()
            counters.shed += shed.count
            emit(.shed(count: shed.count))
            for vm in shed { await vm.destroy() }
        }
        if level == .critical {
            let refused = waiters
            waiters.removeAll()
            for waiter in refused {
                waiter.continuation.resume(
                    throwing: PoolError(.memoryPressure, "memory pressure is critical: restores are refused")
                )
            }
        }
        capacityFreed()
    }
}
