import CTetherSystem

extension ConnectionPool {
    /// Waits for a connection, first come first served.
    ///
    /// A task cancelled while waiting leaves the queue and gets `CancellationError`; one cancelled
    /// just as a connection was handed to it gives the connection back before throwing.
    func acquire() async throws -> Lease {
        if let lease = acquireIdle() {
            return lease
        }
        let holder = Self.currentTaskKey
        let id = state.withLock { $0.machine.makeID() }
        let lease = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Lease, any Error>) in
                let effects = state.withLock { state -> [Effect] in
                    if Task.isCancelled {
                        return [.resume(continuation, .failure(CancellationError()), waited: nil)]
                    }
                    let now = clock.elapsed()
                    // Connections parked on their threads count for the machine before anyone waits.
                    let reclaimed = state.effects(for: state.reclaimParked(now: now))
                    let acquisition = state.machine.acquire(
                        waiter: id, holder: holder, affinity: ThreadAffinity.current?.key ?? 0, now: now)
                    switch acquisition {
                    case .leased(let ticket):
                        return reclaimed + [.resume(continuation, .success(state.lease(ticket)), waited: .zero)]
                    case .fail(let error):
                        return reclaimed + [.resume(continuation, .failure(error), waited: nil)]
                    case .wait(let actions):
                        state.waiters[id] = continuation
                        return reclaimed + state.effects(for: actions)
                    }
                }
                perform(effects)
            }
        } onCancel: {
            let continuation = state.withLock { state in
                state.machine.cancelWaiter(id) ? state.waiters.removeValue(forKey: id) : nil
            }
            continuation?.resume(throwing: CancellationError())
        }
        SanitizerHooks.taken(lease)
        if Task.isCancelled {
            // Unused: a connection handed over due for validation stays due for it.
            release(lease, .unused)
            throw CancellationError()
        }
        return lease
    }

    /// An idle connection when one is ready and nobody waits; never suspends. On a thread a
    /// connection owns, that connection is taken first (see ``ThreadAffinity``).
    func acquireIdle() -> Lease? {
        let now = clock.elapsed()
        let affinity = ThreadAffinity.current?.key ?? 0
        let holder = Self.currentTaskKey
        guard let lease = state.withLock({ $0.tryAcquireIdle(affinity: affinity, holder: holder, now: now) }) else {
            return nil
        }
        reportLeaseWithoutWait()
        return lease
    }

    /// The connection parked in the calling thread's cell by this pool, if any; lock-free.
    func takeParked() -> Lease? {
        guard let cell = ParkCell.current, cell.pool == ObjectIdentifier(self),
            let lease = cell.take(holder: Self.currentTaskKey)
        else {
            return nil
        }
        // Due for a check only when it waited too long: one it needed when lent was checked then.
        var stale = false
        if let threshold = configuration.keepAliveThreshold, let since = lease.parkedSince {
            stale = clock.elapsed() - since > threshold
        }
        lease.retake(needsValidation: stale)
        reportLeaseWithoutWait()
        return lease
    }

    /// Tells the delegate of a lease had at once. Testing ``hasDelegate`` first spares a borrow
    /// without a delegate a copy of the existential.
    private func reportLeaseWithoutWait() {
        if hasDelegate {
            delegate?.leaseAcquired(waited: .zero)
        }
    }

    /// Parks `lease`, given back clean, in its connection's cell when it has one that is on;
    /// `false` when it must go back through the machine.
    func park(_ lease: Lease) -> Bool {
        guard let cell = lease.cell else {
            return false
        }
        return cell.park(lease, at: clock.elapsed())
    }

    /// Gives `lease` back.
    func release(_ lease: Lease, _ disposition: Machine.Disposition) {
        // The machine takes the connection back: its cell, if lent through it, is off from now.
        lease.cell?.stop()
        let now = clock.elapsed()
        // Taken from its cell and not used, it was last used when it parked; used, just now.
        let lastUsed = disposition == .unused ? lease.parkedSince : nil
        let effects = state.withLock { state in
            // An eviction marks the idle connections for a check: those parked on their threads too.
            let reclaimed = disposition == .discard(.broken) ? state.reclaimParked(now: now) : []
            return state.effects(
                for: reclaimed + state.machine.release(lease.ticket, disposition, now: now, lastUsed: lastUsed))
        }
        if !effects.isEmpty {
            perform(effects)
        }
    }

    /// A key for the current task, kept with its leases so that a timeout can say whether the
    /// waiting task holds one already (nested acquisition); 0 outside a task.
    ///
    /// A lookup in the lease records instead of a task-local value bound around every operation:
    /// binding one cost three executor checks and an allocation on every borrow. A child task
    /// is another task: its acquisition is not reported as nested.
    static var currentTaskKey: UInt {
        // The task's address, unique while the task lives, which a task holding a lease does.
        UInt(bitPattern: ctether_current_task())
    }
}
