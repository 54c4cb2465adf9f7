extension PoolStateMachine {
    /// A swap or reconnect was requested: a new generation, numbered ``latest`` afterwards,
    /// prepares its minimum connections, then takes over.
    ///
    /// A generation still preparing for an earlier swap is abandoned: the newest target wins,
    /// and the earlier swap completes as superseded.
    mutating func requestSwap(id: Int, kind: SwapKind, now: Duration) -> [Action] {
        guard lifecycle == .running, let newest = generations[latest] else {
            return [
                .completeSwap(
                    id: id, SwapReport(generation: latest, drained: 0, forced: 0, duration: .zero, superseded: true))
            ]
        }
        var actions: [Action] = []
        if case .preparing(let earlier) = newest.phase {
            actions += abandonPreparing(latest, supersededSwap: earlier, now: now)
        }
        lastNumber += 1
        latest = lastNumber
        generations[latest] = Generation(number: latest, phase: .preparing(swap: id))
        // A swap makes at least one connection before it takes over, also in a pool without a
        // minimum: a new target that refuses the credentials then changes nothing (see
        // ``creationAttemptFailed(creation:error:kind:now:random:)``). A reconnect makes the minimum.
        var wanted = kind == .swap ? max(1, configuration.minimumConnections) : configuration.minimumConnections
        if kind == .reconnect, isUnavailable, !holdOff.lift(at: now) {
            // Held, and this outage's early attempt is spent: take over with nothing made; the
            // minimum follows after the hold.
            wanted = 0
        }
        swaps[id] = SwapProgress(generation: latest, kind: kind, wanted: wanted, startedAt: now)
        counters.swaps += 1
        if wanted == 0 {
            return actions + promote(swap: id, now: now)
        }
        // One first: a target that is down or refuses the password gets one login, not the minimum.
        return actions + [startCreation(latest, purpose: .prepare)]
    }

    /// The preparing generation of `swap` takes over and every older one starts draining.
    mutating func promote(swap id: Int, now: Duration) -> [Action] {
        guard var swap = swaps[id], var generation = generations[swap.generation] else {
            impossible("promote", "unknown swap \(id)")
        }
        let drainTimeout =
            swap.kind == .reconnect ? configuration.reconnectDrainTimeout : configuration.swapDrainTimeout
        let previous = current
        current = swap.generation
        generation.phase = .current
        generations[swap.generation] = generation
        swap.promoted = true
        swap.retiring = Set(generations.keys.filter { $0 != current })
        swaps[id] = swap
        // With a connection made the new target answers; a reconnect that took over with none
        // says nothing yet about its target (see ``requestSwap(id:kind:now:)`` for its attempt).
        if generation.open > 0 {
            lastFailure = nil
            credentialsRefused = false
            holdOff.reset()
        }
        var actions = retire(previous, by: id, drainTimeout: drainTimeout, now: now)
        let prepared = slots.values.filter { $0.generation == current && $0.state == .prepared }.map(\.id)
        for slotID in prepared {
            slots[slotID]?.state = .idle
            actions += serve(slotID, now: now)
        }
        return actions + startDemandCreations() + completeSwapIfDone(id, now: now)
    }

    /// The drain timer of `generation` fired: whatever is still leased is cancelled and closed.
    mutating func drainTimerFired(generation number: Int, now: Duration) -> [Action] {
        guard var generation = generations[number], generation.phase == .draining else {
            return []
        }
        var actions: [Action] = []
        for slot in slots.values where slot.generation == number && slot.state == .leased {
            slots[slot.id]?.state = .forced
            generation.forced += 1
            counters.closed[.forced, default: 0] += 1
            actions.append(.forceClose(id: slot.id, generation: number))
        }
        generations[number] = generation
        return actions + finishGeneration(number, now: now)
    }

    /// Shuts down: waiters fail, idle connections close, leases drain within the reconnect
    /// drain timeout, then ``Action/completeShutdown``.
    mutating func shutdown(now: Duration) -> [Action] {
        guard lifecycle == .running else {
            return []
        }
        lifecycle = .shuttingDown
        var actions: [Action] = waiters.removeAll().map { .failWaiter($0.id, ConnectionPoolError(.shutdown)) }
        if case .preparing(let swap) = generations[latest]?.phase {
            actions += abandonPreparing(latest, supersededSwap: swap, now: now)
        }
        generations[current]?.closeReason = .shutdown
        return actions + retire(current, by: nil, drainTimeout: configuration.reconnectDrainTimeout, now: now)
    }

    /// Starts draining `number`: its idle connections close, its leases close on return.
    private mutating func retire(_ number: Int, by swap: Int?, drainTimeout: Duration, now: Duration) -> [Action] {
        guard var generation = generations[number] else {
            impossible("retire", "unknown generation \(number)")
        }
        generation.phase = .draining
        generation.retiredBy = swap
        generations[number] = generation
        var actions = idle.filter { slots[$0]?.generation == number }.map {
            closeSlot($0, reason: generation.closeReason)
        }
        if generation.leased == 0 {
            actions += finishGeneration(number, now: now)
        } else {
            actions.append(.armDrainTimer(generation: number, at: now + drainTimeout))
        }
        return actions
    }

    /// `number` has no lease out any more (or its drain timed out) and leaves the machine.
    mutating func finishGeneration(_ number: Int, now: Duration) -> [Action] {
        guard let generation = generations.removeValue(forKey: number) else {
            impossible("finishGeneration", "unknown generation \(number)")
        }
        var actions: [Action] = []
        if let id = generation.retiredBy, var swap = swaps[id] {
            swap.drained += generation.drained
            swap.forced += generation.forced
            swaps[id] = swap
            actions += completeSwapIfDone(id, now: now)
        }
        for (id, swap) in swaps where swap.retiring.contains(number) && id != generation.retiredBy {
            swaps[id]?.retiring.remove(number)
            actions += completeSwapIfDone(id, now: now)
        }
        if lifecycle == .shuttingDown, generations.isEmpty {
            lifecycle = .shutDown
            actions.append(.completeShutdown)
        }
        return actions
    }

    private mutating func completeSwapIfDone(_ id: Int, now: Duration) -> [Action] {
        guard var swap = swaps[id], swap.promoted else {
            return []
        }
        swap.retiring = swap.retiring.filter { generations[$0] != nil }
        guard swap.retiring.isEmpty else {
            swaps[id] = swap
            return []
        }
        swaps[id] = nil
        let report = SwapReport(
            generation: swap.generation, drained: swap.drained, forced: swap.forced,
            duration: now - swap.startedAt, superseded: false)
        return [.completeSwap(id: id, report)]
    }

    /// The caller of swap `id` gave up waiting: abandoned while it prepares, else left to finish.
    mutating func cancelSwap(id: Int, now: Duration) -> [Action] {
        guard let swap = swaps[id], !swap.promoted, case .preparing = generations[swap.generation]?.phase else {
            return []
        }
        return abandonUnreachable(swap.generation, swap: id, now: now)
    }

    /// The swap preparing `number` gives up: its new target refused the credentials, or the
    /// creation policy gave up on reaching it. The generation's connections close and the
    /// current one serves on, as if the swap had not been asked for.
    mutating func abandonUnreachable(_ number: Int, swap id: Int, now: Duration) -> [Action] {
        let prepared = slots.values.filter { $0.generation == number }.map(\.id)
        let actions = prepared.map { closeSlot($0, reason: .retired) }
        generations[number] = nil
        latest = current
        let started = swaps.removeValue(forKey: id)?.startedAt ?? now
        let report = SwapReport(
            generation: number, drained: 0, forced: 0, duration: now - started, superseded: false, abandoned: true)
        return actions + [.completeSwap(id: id, report)]
    }

    private mutating func abandonPreparing(_ number: Int, supersededSwap id: Int, now: Duration) -> [Action] {
        let prepared = slots.values.filter { $0.generation == number }.map(\.id)
        let actions = prepared.map { closeSlot($0, reason: .lateArrival) }
        generations[number] = nil
        let started = swaps.removeValue(forKey: id)?.startedAt ?? now
        let report = SwapReport(generation: number, drained: 0, forced: 0, duration: now - started, superseded: true)
        return actions + [.completeSwap(id: id, report)]
    }
}
