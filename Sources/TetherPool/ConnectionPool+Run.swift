import TetherRetry

extension ConnectionPool {
    /// Runs the pool's timers, connection attempts and closes until ``shutdown()`` completes.
    ///
    /// Call it once, in a task that lives as long as the pool (a task group or a service
    /// runner). Cancelling it shuts the pool down: waiters fail and idle connections close.
    public func run() async {
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.maintain() }
                perform(state.withLock { $0.effects(for: $0.machine.startMinimumCreations(now: clock.elapsed())) })
                while let job = await jobs.next() {
                    group.addTask { await self.execute(job) }
                }
                group.cancelAll()
            }
        } onCancel: {
            perform(state.withLock { $0.effects(for: $0.settled(now: clock.elapsed()) { $0.shutdown(now: $1) }) })
        }
        jobs.finish()
        await lateCloses.wait()
        let outliving = await factory.awaitAbandonedAttempts()
        if outliving > 0 {
            delegate?.attemptsOutlivedShutdown(outliving)
        }
        let waiting = state.withLock { state in
            state.runFinished = true
            defer { state.shutdownWaiters = [] }
            return state.shutdownWaiters
        }
        waiting.forEach { $0.resume() }
    }

    func execute(_ job: Job) async {
        switch job {
        case .create(let creation, let generation, let target):
            await create(creation, generation: generation, target: Self.unbox(target, as: Factory.Target.self))
        case .close(let connection, let generation, let reason):
            await factory.close(Self.open(connection))
            delegate?.connectionClosed(generation: generation, reason: reason)
            perform(state.withLock { $0.closeFinished(generation: generation) })
        case .forceClose(let connection, let generation):
            let connection = Self.open(connection)
            factory.cancelOperation(on: connection)
            await factory.close(connection)
            delegate?.connectionClosed(generation: generation, reason: .forced)
            perform(state.withLock { $0.closeFinished(generation: generation) })
        case .ping(let lease):
            let alive = await factory.validate(connection(of: lease))
            release(lease, alive ? .reusable : .discard(.failedValidation))
        case .waiterTimer(let deadline):
            // A cancelled sleep means shutdown: firing early is harmless, as only due waiters expire.
            try? await clock.sleep(deadline)
            perform(
                state.withLock {
                    $0.effects(
                        for: $0.settled(now: clock.elapsed()) { $0.waiterTimerFired(armedFor: deadline, now: $1) })
                })
        case .drainTimer(let generation, let deadline):
            // A cancelled sleep means run() was cancelled: the drain is forced at once.
            try? await clock.sleep(deadline)
            perform(
                state.withLock {
                    $0.effects(
                        for: $0.settled(now: clock.elapsed()) { $0.drainTimerFired(generation: generation, now: $1) })
                })
        }
    }

    private func maintain() async {
        var next = clock.elapsed()
        while !Task.isCancelled {
            next += configuration.maintenanceInterval
            guard (try? await clock.sleep(next)) != nil else {
                return
            }
            perform(
                state.withLock { $0.effects(for: $0.settled(now: clock.elapsed()) { $0.maintenanceTick(now: $1) }) })
        }
    }

    /// Makes one connection, retrying with the creation policy while the machine still wants it.
    private func create(_ creation: Int, generation: Int, target: Factory.Target) async {
        do {
            let connection = try await withRetries(
                configuration.creationPolicy, clock: clock,
                classify: { error in self.creationAttemptFailed(creation, generation: generation, error: error) },
                operation: { _ in
                    try await self.factory.makeConnection(to: target, timeout: self.configuration.connectTimeout)
                })
            delegate?.connectionCreated(generation: generation)
            let affinity = factory.threadAffinity(of: connection)
            perform(
                state.withLock {
                    $0.connectionCreated(
                        creation: creation, ConnectionBox(connection), affinity: affinity, now: clock.elapsed())
                })
        } catch {
            // The policy gave up or the task was cancelled; the machine may have let go already.
            perform(state.withLock { $0.effects(for: $0.machine.creationAbandoned(creation, now: clock.elapsed())) })
        }
    }

    private func creationAttemptFailed(_ creation: Int, generation: Int, error: any Error) -> RetryDecision {
        let kind = factory.classify(error)
        let (effects, retry) = state.withLock { state in
            let now = clock.elapsed()
            let reclaimed = state.reclaimParked(now: now)
            let (actions, retry) = state.machine.creationAttemptFailed(
                creation: creation, error: error, kind: kind, now: now, random: &state.random)
            return (state.effects(for: reclaimed + actions), retry)
        }
        perform(effects)
        delegate?.connectionAttemptFailed(generation: generation, error: error, kind: kind, willRetry: retry)
        return retry ? .retry : .stop
    }
}
