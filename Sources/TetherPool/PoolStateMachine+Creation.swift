extension PoolStateMachine {
    /// Starts creations of the current generation for waiters no running creation will serve.
    mutating func startDemandCreations() -> [Action] {
        guard lifecycle == .running, let generation = generations[current] else {
            return []
        }
        let capacity =
            min(configuration.maximumConnections - generation.open, firstAttemptLimit(generation))
            - generation.creating
        let wanted = min(waiters.count - generation.creating, capacity)
        return wanted > 0 ? (0..<wanted).map { _ in startCreation(current, purpose: .demand) } : []
    }

    /// While `generation` has no open connection, one attempt at a time: the first shows whether
    /// the target answers before the others follow, so a target that is down or refuses the
    /// password gets one login, not one per caller (see ``AttemptHoldOff``).
    private func firstAttemptLimit(_ generation: Generation) -> Int {
        generation.open == 0 ? 1 : Int.max
    }

    /// Starts creations until the current generation holds ``PoolConfiguration/minimumConnections``;
    /// none during a hold-off.
    mutating func startMinimumCreations(now: Duration) -> [Action] {
        guard lifecycle == .running, !credentialsRefused, let generation = generations[current],
            !(isUnavailable && holdOff.holds(at: now))
        else {
            return []
        }
        let wanted =
            min(configuration.minimumConnections, firstAttemptLimit(generation)) - generation.open
            - generation.creating
        return wanted > 0 ? (0..<wanted).map { _ in startCreation(current, purpose: .demand) } : []
    }

    mutating func startCreation(_ generation: Int, purpose: Purpose) -> Action {
        guard generations[generation] != nil else {
            impossible("startCreation", "unknown generation \(generation)")
        }
        let id = makeID()
        creations[id] = Creation(generation: generation, purpose: purpose)
        generations[generation]?.creating += 1
        return .create(creation: id, generation: generation)
    }

    /// A creation produced connection `slotID` (an identifier from ``makeID()``).
    /// `lifetimeFactor` in 0..<1 picks the jitter; `affinity` is the ``ThreadAffinity`` key of the
    /// thread the connection owns, 0 for none.
    mutating func connectionCreated(
        creation id: Int, connection slotID: Int, affinity: UInt = 0, now: Duration, lifetimeFactor: Double
    ) -> [Action] {
        guard let creation = creations.removeValue(forKey: id) else {
            impossible("connectionCreated", "unknown creation \(id)")
        }
        counters.created += 1
        generations[creation.generation]?.creating -= 1
        let lifetime = configuration.maximumLifetime.map { $0 * (1 - lifetimeFactor * configuration.lifetimeJitter) }
        var slot = Slot(
            id: slotID, generation: creation.generation,
            retireAt: lifetime.map { now + $0 }, affinity: affinity, state: .idle, lastUsed: now)
        guard lifecycle == .running, let generation = generations[creation.generation],
            generation.phase != .draining
        else {
            counters.closed[.lateArrival, default: 0] += 1
            return [.close(id: slotID, generation: creation.generation, reason: .lateArrival)]
        }
        generations[creation.generation]?.open += 1
        if affinity != 0 {
            slotByAffinity[affinity] = slotID
        }
        if case .preparing(let swap) = generation.phase {
            slot.state = .prepared
            slots[slotID] = slot
            // The first connection showed that the target answers: the rest of the minimum follows.
            let missing = (swaps[swap]?.wanted ?? 1) - (generation.open + 1) - generation.creating
            if missing > 0 {
                return (0..<missing).map { _ in startCreation(creation.generation, purpose: .prepare) }
            }
            return generation.creating == 0 ? promote(swap: swap, now: now) : []
        }
        slots[slotID] = slot
        let wasFirst = generations[creation.generation]?.open == 1
        lastFailure = nil
        credentialsRefused = false
        holdOff.reset()
        var actions = serve(slotID, now: now)
        if case .replacement(let old) = creation.purpose {
            actions += retireSlot(old)
        }
        // The first connection is made: the waiters and the minimum behind it get theirs now.
        return wasFirst ? actions + startDemandCreations() + startMinimumCreations(now: now) : actions
    }

    /// One attempt of creation `id` failed; `retry` says whether the creation is still wanted.
    ///
    /// While the current generation has no open connection, every waiter fails with the cause and
    /// callers are held off for a while (see ``AttemptHoldOff``).
    mutating func creationAttemptFailed(
        creation id: Int, error: any Error, kind: ConnectionFailureKind, now: Duration,
        random: inout some RandomNumberGenerator
    ) -> (actions: [Action], retry: Bool) {
        guard var creation = creations[id] else {
            impossible("creationAttemptFailed", "unknown creation \(id)")
        }
        counters.failedAttempts += 1
        var actions: [Action] = []
        if case .preparing(let swap) = generations[creation.generation]?.phase {
            // A swap keeps the current generation serving while it tries its new target: one
            // that refuses the credentials (a mistyped rotation) is abandoned, not put in charge
            // of every caller. A reconnect, after the database was lost, takes over at once so
            // that callers get the real cause instead of waiting on dead connections.
            if swaps[swap]?.kind == .swap {
                guard kind == .authentication else {
                    return ([], true)
                }
                abandonCreation(id)
                return (abandonUnreachable(creation.generation, swap: swap, now: now), false)
            }
            creation.purpose = .demand
            creations[id] = creation
            actions += promote(swap: swap, now: now)
        }
        if creation.generation == current {
            lastFailure = error
            credentialsRefused = kind == .authentication
            if generations[current]?.open == 0 {
                // Attempts that ran side by side fail together: one round, one step of the hold.
                if !holdOff.holds(at: now) {
                    holdOff.attemptFailed(now: now, using: &random)
                }
                actions += waiters.removeAll().map { waiter in
                    counters.connectFailures += 1
                    return .failWaiter(waiter.id, ConnectionPoolError(.connectFailed, underlying: error))
                }
            }
        }
        // With nothing open the hold paces the next attempt, the minimum's too: a creation
        // sleeping between its own retries would keep callers waiting behind no attempt.
        let paced = creation.generation == current && generations[current]?.open == 0
        let retry = kind != .authentication && !paced && isWanted(creation)
        if !retry {
            abandonCreation(id)
        }
        return (actions, retry)
    }

    /// Creation `id` gave up (its retry policy is spent, or it was cancelled); a swap that
    /// was still preparing with it is abandoned.
    mutating func creationAbandoned(_ id: Int, now: Duration) -> [Action] {
        guard let creation = creations[id] else {
            return []
        }
        abandonCreation(id)
        if case .preparing(let swap) = generations[creation.generation]?.phase, lifecycle == .running {
            return abandonUnreachable(creation.generation, swap: swap, now: now)
        }
        return []
    }

    private mutating func abandonCreation(_ id: Int) {
        guard let creation = creations.removeValue(forKey: id) else {
            impossible("abandonCreation", "unknown creation \(id)")
        }
        generations[creation.generation]?.creating -= 1
        if case .replacement(let old) = creation.purpose {
            slots[old]?.replacementRequested = false
        }
    }

    private func isWanted(_ creation: Creation) -> Bool {
        guard lifecycle == .running, creation.generation == current, let generation = generations[current] else {
            return false
        }
        if case .replacement(let old) = creation.purpose {
            return slots[old] != nil
        }
        let others = generation.creating - 1
        return waiters.count > others || generation.open + others < configuration.minimumConnections
    }

    /// Closes `id` now if idle, or when its lease comes back.
    private mutating func retireSlot(_ id: Int) -> [Action] {
        guard let slot = slots[id] else {
            return []
        }
        if slot.state == .idle {
            return [closeSlot(id, reason: .lifetime)]
        }
        slots[id]?.closeOnRelease = true
        return []
    }
}
