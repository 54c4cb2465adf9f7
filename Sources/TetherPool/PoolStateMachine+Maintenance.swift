extension PoolStateMachine {
    /// The periodic check: idle timeouts, keep-alive pings, lifetimes and the minimum.
    ///
    /// A connection past its lifetime gets a replacement first and closes when the replacement
    /// arrives (at once if idle, otherwise when its lease comes back).
    mutating func maintenanceTick(now: Duration) -> [Action] {
        guard lifecycle == .running else {
            return []
        }
        return closeIdleConnections(now: now) + pingIdleConnections(now: now) + replaceAgedConnections(now: now)
            + startMinimumCreations(now: now)
    }

    /// Lends every connection idle for ``PoolConfiguration/keepAliveInterval`` to the pool
    /// itself for a ping; the shell gives it back through ``release(_:_:now:lastUsed:)``.
    private mutating func pingIdleConnections(now: Duration) -> [Action] {
        guard let interval = configuration.keepAliveInterval else {
            return []
        }
        let due = idle.filter { id in slots[id].map { now - $0.lastUsed >= interval } ?? false }
        guard !due.isEmpty else {
            return []
        }
        idle.removeAll { due.contains($0) }
        counters.keepAlivePings += due.count
        return due.map { .ping(lease($0, holder: 0, now: now)) }
    }

    private mutating func closeIdleConnections(now: Duration) -> [Action] {
        guard let idleTimeout = configuration.idleTimeout, let generation = generations[current] else {
            return []
        }
        var surplus = generation.open - configuration.minimumConnections
        var actions: [Action] = []
        for id in idle where surplus > 0 {
            if let slot = slots[id], now - slot.lastUsed >= idleTimeout {
                actions.append(closeSlot(id, reason: .idleTimeout))
                surplus -= 1
            }
        }
        return actions
    }

    private mutating func replaceAgedConnections(now: Duration) -> [Action] {
        let aged = slots.values.filter { slot in
            slot.generation == current && !slot.replacementRequested && (slot.retireAt.map { $0 <= now } ?? false)
        }
        return aged.sorted { $0.id < $1.id }.map { slot in
            slots[slot.id]?.replacementRequested = true
            return startCreation(current, purpose: .replacement(of: slot.id))
        }
    }
}
