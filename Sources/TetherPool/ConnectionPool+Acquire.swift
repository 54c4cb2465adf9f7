extension ConnectionPool {
    /// Waits for a connection, first come first served.
    ///
    /// A task cancelled while waiting leaves the queue and gets `CancellationError`; one cancelled
    /// just as a connection was handed to it gives the connection back before throwing.
    func acquire() async throws -> Lease {
        if let lease = acquireIdle() {
            return lease
        }
        let holdsLease = LeaseContext.heldPools.contains(ObjectIdentifier(self))
        let id = state.withLock { $0.machine.makeID() }
        let lease = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Lease, any Error>) in
                let effects = state.withLock { state -> [Effect] in
                    if Task.isCancelled {
                        return [.resume(continuation, .failure(CancellationError()), waited: nil)]
                    }
                    let acquisition = state.machine.acquire(
                        waiter: id, currentTaskHoldsLease: holdsLease, affinity: ThreadAffinity.current?.key ?? 0,
                        now: clock.elapsed())
                    switch acquisition {
                    case .leased(let ticket):
                        return [.resume(continuation, .success(state.lease(ticket)), waited: .zero)]
                    case .fail(let error):
                        return [.resume(continuation, .failure(error), waited: nil)]
                    case .wait(let actions):
                        state.waiters[id] = continuation
                        return state.effects(for: actions)
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
        if Task.isCancelled {
            release(lease, .reusable)
            throw CancellationError()
        }
        return lease
    }

    /// An idle connection when one is ready and nobody waits; never suspends. On a thread a
    /// connection owns, that connection is taken first (see ``ThreadAffinity``).
    func acquireIdle() -> Lease? {
        let now = clock.elapsed()
        let affinity = ThreadAffinity.current?.key ?? 0
        guard let lease = state.withLock({ $0.tryAcquireIdle(affinity: affinity, now: now) }) else {
            return nil
        }
        delegate?.leaseAcquired(waited: .zero)
        return lease
    }

    /// Gives `lease` back.
    func release(_ lease: Lease, _ disposition: Machine.Disposition) {
        let now = clock.elapsed()
        let effects = state.withLock {
            $0.effects(for: $0.machine.release(lease.ticket, disposition, now: now))
        }
        if !effects.isEmpty {
            perform(effects)
        }
    }
}
