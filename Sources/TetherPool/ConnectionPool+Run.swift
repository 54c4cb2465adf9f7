extension ConnectionPool {
    /// Runs the pool's timers, connection attempts and closes until ``shutdown()`` completes.
    ///
    /// Call it once, in a task that lives as long as the pool (a task group or a service
    /// runner). Cancelling it shuts the pool down: waiters fail and idle connections close.
    public func run() async {
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.maintain() }
                perform(state.withLock { $0.effects(for: $0.machine.startMinimumCreations()) })
                while let job = await jobs.next() {
                    group.addTask { await self.execute(job) }
                }
                group.cancelAll()
            }
        } onCancel: {
            perform(state.withLock { $0.effects(for: $0.machine.shutdown(now: clock.now())) })
        }
        jobs.finish()
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
            await create(creation, generation: generation, target: target)
        case .close(let connection, let generation, let reason):
            await factory.close(connection)
            delegate?.connectionClosed(generation: generation, reason: reason)
            perform(state.withLock { $0.closeFinished(generation: generation) })
        case .forceClose(let connection, let generation):
            factory.cancelOperation(on: connection)
            await factory.close(connection)
            delegate?.connectionClosed(generation: generation, reason: .forced)
            perform(state.withLock { $0.closeFinished(generation: generation) })
        case .waiterTimer(let deadline):
            // A cancelled sleep means shutdown: firing early is harmless, as only due waiters expire.
            try? await clock.sleep(deadline)
            perform(state.withLock { $0.effects(for: $0.machine.waiterTimerFired(armedFor: deadline, now: clock.now())) })
        case .drainTimer(let generation, let deadline):
            // A cancelled sleep means run() was cancelled: the drain is forced at once.
            try? await clock.sleep(deadline)
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
