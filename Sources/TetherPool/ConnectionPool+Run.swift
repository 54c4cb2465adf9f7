extension ConnectionPool {
    /// Runs the pool's timers, connection attempts and closes until ``shutdown()`` completes.
    ///
    /// Call it once, in a task that lives as long as the pool (a task group or a service
    /// runner). Cancelling it shuts the pool down: waiters fail and idle connections close.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.maintain() }
            let effects = state.withLock { $0.effects(for: $0.machine.startMinimumCreations()) }
            perform(effects)
            for await job in jobs {
                group.addTask { await self.execute(job) }
            }
            group.cancelAll()
        }
        if Task.isCancelled {
            let effects = state.withLock { $0.effects(for: $0.machine.shutdown(now: clock.now())) }
            perform(effects)
        }
    }

    func execute(_ job: Job) async {
        switch job {
        case .create(let creation, let generation, let target):
            await create(creation, generation: generation, target: target)
        case .close(let connection, let generation, let reason):
            await factory.close(connection)
            delegate?.connectionClosed(generation: generation, reason: reason)
        case .forceClose(let connection, let generation):
            factory.cancelOperation(on: connection)
            await factory.close(connection)
            delegate?.connectionClosed(generation: generation, reason: .forced)
        case .waiterTimer(let deadline):
            guard (try? await clock.sleep(deadline)) != nil else {
                return
            }
            perform(state.withLock { $0.effects(for: $0.machine.waiterTimerFired(armedFor: deadline, now: clock.now())) })
        case .drainTimer(let generation, let deadline):
            guard (try? await clock.sleep(deadline)) != nil else {
                return
            }
            perform(state.withLock { $0.effects(for: $0.machine.drainTimerFired(generation: generation, now: clock.now())) })
        }
    }

    private func maintain() async {
        var next = clock.now()
        while !Task.isCancelled {
            next += configuration.maintenanceInterval
            guard (try? await clock.sleep(next)) != nil else {
                return
            }
            perform(state.withLock { $0.effects(for: $0.machine.maintenanceTick(now: clock.now())) })
        }
    }

    /// Makes one connection, retrying with backoff while the machine still wants it.
    private func create(_ creation: Int, generation: Int, target: Factory.Target) async {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let connection = try await factory.makeConnection(to: target, timeout: configuration.connectTimeout)
                delegate?.connectionCreated(generation: generation)
                perform(
                    state.withLock { state in
                        let factor = Double.random(in: 0..<1, using: &state.random)
                        let now = clock.now()
                        return state.effects(
                            for: state.machine.connectionCreated(
                                creation: creation, connection, now: now, lifetimeFactor: factor))
                    })
                return
            } catch {
                let kind = factory.classify(error)
                let (effects, retry) = state.withLock { state in
                    let (actions, retry) = state.machine.creationAttemptFailed(
                        creation: creation, error: error, kind: kind, now: clock.now())
                    return (state.effects(for: actions), retry)
                }
                perform(effects)
                delegate?.connectionAttemptFailed(generation: generation, error: error, kind: kind, willRetry: retry)
                guard retry else {
                    return
                }
                let delay = backoffDelay(afterAttempt: attempt)
                guard (try? await clock.sleep(clock.now() + delay)) != nil else {
                    state.withLock { $0.machine.creationAbandoned(creation) }
                    return
                }
            }
        }
    }

    private func backoffDelay(afterAttempt attempt: Int) -> Duration {
        .milliseconds(100) * (1 << min(attempt - 1, 6))
    }
}
