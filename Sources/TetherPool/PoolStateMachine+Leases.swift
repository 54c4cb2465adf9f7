extension PoolStateMachine {
    enum AcquireAction {
        case leased(Lease)
        case wait([Action])
        case fail(ConnectionPoolError)
    }

    /// The fast path: an idle connection when nobody is waiting, without queueing otherwise.
    ///
    /// `affinity` is the ``ThreadAffinity`` key of the caller's thread, 0 for none; `holder`
    /// the caller task's key (see ``Slot/holder``).
    mutating func tryAcquireIdle(affinity: UInt = 0, holder: UInt = 0, now: Duration) -> Lease? {
        guard lifecycle == .running, waiters.isEmpty, let slotID = takeIdle(preferring: affinity) else {
            return nil
        }
        return lease(slotID, holder: holder, now: now)
    }

    /// A caller asks for a connection; it gets an idle one at once only when nobody is ahead.
    mutating func acquire(waiter id: Int, holder: UInt = 0, affinity: UInt = 0, now: Duration) -> AcquireAction {
        guard lifecycle == .running else {
            return .fail(ConnectionPoolError(.shutdown))
        }
        if waiters.isEmpty, let slotID = takeIdle(preferring: affinity) {
            return .leased(lease(slotID, holder: holder, now: now))
        }
        if isUnavailable, holdOff.holds(at: now) {
            counters.connectFailures += 1
            return .fail(ConnectionPoolError(.connectFailed, underlying: lastFailure))
        }
        // A scan, only on the way to waiting: whether the task already holds one of ours.
        let holdsLease = holder != 0 && slots.values.contains { $0.state == .leased && $0.holder == holder }
        let timeout =
            isUnavailable
            ? min(configuration.acquireTimeout, configuration.connectTimeout)
            : configuration.acquireTimeout
        let deadline = now + timeout
        waiters.append(
            .init(id: id, deadline: deadline, enqueuedAt: now, holder: holder, currentTaskHoldsLease: holdsLease))
        var actions = startDemandCreations()
        if armedWaiterTimer.map({ deadline < $0 }) ?? true {
            armedWaiterTimer = deadline
            actions.append(.armWaiterTimer(at: deadline))
        }
        return .wait(actions)
    }

    enum Disposition: Equatable {
        case reusable
        /// Given back without use, its validation not passed (the caller was cancelled before
        /// or during the check): idle again as it was, still due for that check.
        case unused
        case discard(CloseReason)
    }

    /// A caller gives its lease back; `lastUsed`, when given, is when the connection was last
    /// used, if earlier than `now` (it waited parked on its thread, see the shell's cells).
    mutating func release(
        _ lease: Lease, _ disposition: Disposition, now: Duration, lastUsed: Duration? = nil
    ) -> [Action] {
        guard let index = slots.index(forKey: lease.connectionID) else {
            impossible("release", "unknown connection \(lease.connectionID)")
        }
        let slot = slots.values[index]
        leasedTotal -= 1
        if slot.state == .forced {
            slots[slot.id] = nil
            forgetAffinity(of: slot)
            return []
        }
        // The generation is changed in place through its index, as the slot is: a copy taken
        // out and stored back cost two hash lookups and two copies of it on every return.
        guard slot.state == .leased, let place = generations.index(forKey: slot.generation) else {
            impossible("release", "connection \(slot.id) is \(slot.state)")
        }
        generations.values[place].leased -= 1
        let phase = generations.values[place].phase
        if phase == .draining {
            generations.values[place].drained += 1
        }
        let keeps = disposition == .reusable || disposition == .unused
        if keeps, phase == .current, lifecycle == .running, !slot.closeOnRelease {
            slots.values[index].state = .idle
            if disposition == .reusable {
                slots.values[index].lastUsed = lastUsed ?? now
            } else {
                slots.values[index].suspect = lease.needsValidation
                if let lastUsed {
                    slots.values[index].lastUsed = lastUsed
                }
            }
            return serve(slot.id, now: now)
        }
        let generation = generations.values[place]
        var actions: [Action]
        switch disposition {
        case .discard(let reason):
            actions = [closeSlot(slot.id, reason: reason)]
            if reason == .broken {
                counters.evictions += 1
                markIdleSuspect(generation: slot.generation)
            }
        case .reusable, .unused:
            let reason = generation.phase == .current ? CloseReason.lifetime : generation.closeReason
            actions = [closeSlot(slot.id, reason: reason)]
        }
        if generation.phase == .draining, generation.leased == 0 {
            actions += finishGeneration(slot.generation, now: now)
        } else if generation.phase == .current {
            actions += startDemandCreations()
        }
        return actions
    }

    /// Connection `id`, leased, is now held by the task with key `holder` (the shell lent it
    /// again without the machine).
    mutating func recordHolder(_ holder: UInt, of id: Int) {
        guard let index = slots.index(forKey: id), slots.values[index].state == .leased else {
            return
        }
        slots.values[index].holder = holder
    }

    /// A waiting caller was cancelled; `true` when it was still waiting and must be resumed.
    mutating func cancelWaiter(_ id: Int) -> Bool {
        waiters.remove(id) != nil
    }

    /// The waiter timer armed for `deadline` fired: expires everyone due and rearms.
    mutating func waiterTimerFired(armedFor deadline: Duration, now: Duration) -> [Action] {
        if armedWaiterTimer == deadline {
            armedWaiterTimer = nil
        }
        var actions: [Action] = waiters.removeExpired(at: now).map { waiter in
            counters.acquireTimeouts += 1
            return .failWaiter(waiter.id, timeoutError(holdsLease: waiter.currentTaskHoldsLease))
        }
        if let next = waiters.earliestDeadline, armedWaiterTimer.map({ next < $0 }) ?? true {
            armedWaiterTimer = next
            actions.append(.armWaiterTimer(at: next))
        }
        return actions
    }

    /// Lends idle or fresh connection `slotID` to the first waiter, or keeps it idle.
    mutating func serve(_ slotID: Int, now: Duration) -> [Action] {
        guard let waiter = waiters.popFirst() else {
            idle.append(slotID)
            return []
        }
        let waited = now - waiter.enqueuedAt
        counters.recordWait(waited)
        return [.handOff(waiter: waiter.id, lease(slotID, holder: waiter.holder, now: now), waited: waited)]
    }

    /// The idle connection that owns the caller's thread when there is one, else the one used last.
    private mutating func takeIdle(preferring affinity: UInt) -> Int? {
        if affinity != 0, let slotID = slotByAffinity[affinity], let index = idle.lastIndex(of: slotID) {
            return idle.remove(at: index)
        }
        return idle.popLast()
    }

    mutating func lease(_ slotID: Int, holder: UInt, now: Duration) -> Lease {
        // Changed in place through its index: one hash lookup on every borrow instead of two.
        guard let index = slots.index(forKey: slotID),
            case let state = slots.values[index].state, state == .idle || state == .prepared
        else {
            impossible("lease", "connection \(slotID) is not idle")
        }
        let slot = slots.values[index]
        let idleFor = now - slot.lastUsed
        let stale = configuration.keepAliveThreshold.map { idleFor > $0 } ?? false
        let lease = Lease(
            connectionID: slotID, generation: slot.generation, needsValidation: stale || slot.suspect)
        slots.values[index].state = .leased
        slots.values[index].holder = holder
        slots.values[index].suspect = false
        if let place = generations.index(forKey: slot.generation) {
            generations.values[place].leased += 1
        }
        leasedTotal += 1
        return lease
    }

    private func timeoutError(holdsLease: Bool) -> ConnectionPoolError {
        if isUnavailable {
            return ConnectionPoolError(.connectFailed, underlying: lastFailure)
        }
        return ConnectionPoolError(.acquireTimeout, currentTaskHoldsLease: holdsLease)
    }

    private mutating func markIdleSuspect(generation: Int) {
        for id in idle where slots[id]?.generation == generation {
            slots[id]?.suspect = true
        }
    }

    /// Forgets that `slot`'s thread prefers it, unless a connection made since owns that thread
    /// now: a straggler closed by a forced drain comes back after its thread was free again.
    private mutating func forgetAffinity(of slot: Slot) {
        if slotByAffinity[slot.affinity] == slot.id {
            slotByAffinity[slot.affinity] = nil
        }
    }

    /// Whether a timed-out drain closed connection `id` while it was leased.
    func isForced(_ id: Int) -> Bool {
        slots[id]?.state == .forced
    }

    /// Forgets connection `id` and returns the action that closes it.
    mutating func closeSlot(_ id: Int, reason: CloseReason) -> Action {
        guard let slot = slots.removeValue(forKey: id) else {
            impossible("close", "unknown connection \(id)")
        }
        if slot.state == .idle, let index = idle.lastIndex(of: id) {
            idle.remove(at: index)
        }
        forgetAffinity(of: slot)
        generations[slot.generation]?.open -= 1
        counters.closed[reason, default: 0] += 1
        return .close(id: id, generation: slot.generation, reason: reason)
    }
}
