extension ConnectionPool {
    /// Runs `body` with a connection and returns the connection to the pool afterwards, also
    /// when `body` throws or the task is cancelled.
    ///
    /// The operation is counted in ``activeOperations`` from the moment it holds the connection
    /// until `body` returns. A connection that comes back is reset through the factory (an open
    /// transaction is rolled back) or closed if it cannot be. A failure the factory classifies
    /// as a broken connection evicts the connection; the operation then runs once more, on
    /// another connection, only when that is safe:
    ///
    /// - the failure was ``ConnectionFailureKind/brokenBeforeSend``, or `body` threw
    ///   ``NothingSentError``: nothing reached the server;
    /// - the failure was ``ConnectionFailureKind/broken`` and `idempotent` is `true`.
    ///
    /// Otherwise a broken connection ends in ``ConnectionPoolError/Code/outcomeUnknown`` with
    /// the real error as ``ConnectionPoolError/underlying``. Any other error is rethrown as is.
    ///
    /// - Parameters:
    ///   - idempotent: Whether running `body` twice does no harm.
    ///   - body: The operation; it must not keep the connection beyond its return.
    /// - Throws: ``ConnectionPoolError`` when no connection could be had, or the operation's error.
    @inlinable
    nonisolated(nonsending) public func withConnection<R>(
        idempotent: Bool = false, _ body: nonisolated(nonsending) (Factory.Connection) async throws -> R
    ) async throws -> R {
        // Inlinable, so that a caller's module specialises it for its factory and its body: the
        // connection, the factory's `isClean` and the body are then direct calls, not witness
        // calls and generic copies. What touches the pool's state stays behind the calls below.
        // One function for the borrow, the operation and the return: every `async` call costs
        // a frame from the task's allocator, a large part of the fast path.
        var retrying = false
        while true {
            // An idle connection that needs no check is taken without a call that could suspend.
            let idle = idleLease()
            let lease =
                if let idle, !idle.needsValidation { idle } else { try await leaseValidated(startingWith: idle) }
            beginOperation(lease)
            let connection = Self.open(lease.connection)
            do {
                let value = try await body(connection)
                endOperation(lease)
                var clean = factory.isClean(connection)
                if !clean {
                    clean = (try? await factory.reset(connection)) ?? false
                }
                giveBack(lease, clean: clean)
                return value
            } catch {
                endOperation(lease)
                try await operationFailed(lease, connection, error, idempotent: idempotent, retrying: retrying)
                retrying = true
            }
        }
    }

    /// A connection parked on this thread, or an idle one; never suspends.
    @usableFromInline
    func idleLease() -> Lease? {
        if let parked = takeParked() {
            return parked
        }
        return acquireIdle()
    }

    /// Counts the operation `lease` starts in the pool's and its generation's counters.
    @usableFromInline
    func beginOperation(_ lease: Lease) {
        operations.increment(stripe: lease.stripe)
        lease.counter.increment(stripe: lease.stripe)
    }

    /// The operation `lease` started ended, as far as the counters go.
    @usableFromInline
    func endOperation(_ lease: Lease) {
        lease.counter.decrement(stripe: lease.stripe)
        operations.decrement(stripe: lease.stripe)
    }

    /// Gives back `lease` after its operation: parked on its thread when it came back clean
    /// and may, else through the machine (closed when not clean).
    @usableFromInline
    func giveBack(_ lease: Lease, clean: Bool) {
        if !clean || !park(lease) {
            release(lease, clean ? .reusable : .discard(.resetFailed))
        }
    }

    /// Gives back `lease` after its operation threw `error`: returns when the operation may run
    /// once more, on a fresh connection (safe, and not already a second run), else throws what
    /// its caller gets.
    @usableFromInline
    nonisolated(nonsending) func operationFailed(
        _ lease: Lease, _ connection: Factory.Connection, _ error: any Error, idempotent: Bool, retrying: Bool
    ) async throws {
        let failure = OperationFailure(error, factory: factory, forced: wasForced(lease))
        if failure.kind.isBroken {
            release(lease, .discard(.broken))
        } else {
            let clean = (try? await factory.reset(connection)) ?? false
            release(lease, clean ? .reusable : .discard(.resetFailed))
        }
        // Once more, on a fresh connection, only when that is safe; never twice.
        guard !retrying, failure.permitsRetry(idempotent: idempotent) else {
            throw failure.errorForCaller(idempotent: idempotent)
        }
    }

    /// Whether a timed-out drain closed `lease`'s connection while the lease was out.
    private func wasForced(_ lease: Lease) -> Bool {
        state.withLock { $0.machine.isForced(lease.ticket.connectionID) }
    }

    /// A lease that passed validation, starting with `first` when one was taken already.
    @usableFromInline
    nonisolated(nonsending) func leaseValidated(startingWith first: Lease?) async throws -> Lease {
        var next = first
        while true {
            let lease: Lease
            if let taken = next {
                lease = taken
                next = nil
            } else {
                lease = try await acquire()
            }
            if !lease.needsValidation {
                return lease
            }
            if await factory.validate(connection(of: lease)) {
                return lease
            }
            if Task.isCancelled {
                // The check may have failed only because its caller was cancelled (a round trip
                // is): the connection goes back as it was, to be checked by its next borrower.
                release(lease, .unused)
                throw CancellationError()
            }
            release(lease, .discard(.failedValidation))
        }
    }
}

/// An operation's failure, classified once.
struct OperationFailure: Error {
    let error: any Error
    let kind: ConnectionFailureKind
    let nothingSent: Bool

    /// `forced`: a timed-out drain closed the connection under the operation. What failed
    /// then may have sent nothing, but the operation's earlier steps may have (a first session
    /// that committed, a second that found the connection closed): it counts as ``broken``.
    init<Factory: ConnectionFactory>(_ error: any Error, factory: Factory, forced: Bool) {
        if let wrapped = error as? NothingSentError {
            self.error = wrapped.underlying
            nothingSent = !forced
        } else {
            self.error = error
            nothingSent = false
        }
        let kind = factory.classify(self.error)
        self.kind = forced && kind == .brokenBeforeSend ? .broken : kind
    }

    func permitsRetry(idempotent: Bool) -> Bool {
        guard kind.isBroken else {
            return false
        }
        return nothingSent || kind == .brokenBeforeSend || (kind == .broken && idempotent)
    }

    func errorForCaller(idempotent: Bool) -> any Error {
        let unknown = kind == .outcomeUnknown || (kind == .broken && !idempotent && !nothingSent)
        return unknown ? ConnectionPoolError(.outcomeUnknown, underlying: error) : error
    }
}
