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
    public func withConnection<R>(
        idempotent: Bool = false,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (Factory.Connection) async throws -> R
    ) async throws -> R {
        // Not yet: callers in other modules run this generic code unspecialized, and its metadata
        // lookups make an uncontended acquire + release cost about 1.5 µs of CPU, above the 1 µs aim.
        do {
            return try await attempt(body, on: try await leaseValidated())
        } catch let failure as OperationFailure {
            guard failure.permitsRetry(idempotent: idempotent) else {
                throw failure.errorForCaller(idempotent: idempotent)
            }
        }
        do {
            return try await attempt(body, on: try await leaseValidated())
        } catch let failure as OperationFailure {
            throw failure.errorForCaller(idempotent: idempotent)
        }
    }

    /// A lease whose connection passed validation when it needed one.
    private func leaseValidated(isolation: isolated (any Actor)? = #isolation) async throws -> Lease {
        while true {
            let lease = try await acquire()
            if !lease.needsValidation {
                return lease
            }
            if await factory.validate(lease.connection) {
                return lease
            }
            release(lease, .discard(.failedValidation))
        }
    }

    /// Runs `body` once on `lease` and gives the connection back.
    ///
    /// - Throws: ``OperationFailure`` around whatever `body` threw.
    private func attempt<R>(
        _ body: (Factory.Connection) async throws -> R, on lease: Lease,
        isolation: isolated (any Actor)? = #isolation
    ) async throws -> R {
        operations.add(1, ordering: .relaxed)
        lease.counter.value.add(1, ordering: .relaxed)
        let value: R
        do {
            value = try await LeaseContext.holding(ObjectIdentifier(self)) {
                try await body(lease.connection)
            }
        } catch {
            lease.counter.value.subtract(1, ordering: .relaxed)
            operations.subtract(1, ordering: .relaxed)
            let failure = OperationFailure(error, factory: factory)
            if failure.kind.isBroken {
                release(lease, .discard(.broken))
            } else {
                release(lease, await resetDisposition(lease.connection))
            }
            throw failure
        }
        lease.counter.value.subtract(1, ordering: .relaxed)
        operations.subtract(1, ordering: .relaxed)
        release(lease, await resetDisposition(lease.connection))
        return value
    }

    private func resetDisposition(_ connection: Factory.Connection) async -> Machine.Disposition {
        let clean = (try? await factory.reset(connection)) ?? false
        return clean ? .reusable : .discard(.resetFailed)
    }
}

/// Which pools the current task holds a lease from, to name nested acquisition in a timeout.
enum LeaseContext {
    @TaskLocal static var heldPools: [ObjectIdentifier] = []

    /// Runs `body` with `pool` recorded as held; a task already recording it binds nothing new.
    static func holding<R>(
        _ pool: ObjectIdentifier, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> R
    ) async throws -> R {
        let held = heldPools
        if held.contains(pool) {
            return try await body()
        }
        return try await $heldPools.withValue(held + [pool]) { try await body() }
    }
}

/// An operation's failure, classified once.
struct OperationFailure: Error {
    let error: any Error
    let kind: ConnectionFailureKind
    let nothingSent: Bool

    init<Factory: ConnectionFactory>(_ error: any Error, factory: Factory) {
        if let wrapped = error as? NothingSentError {
            self.error = wrapped.underlying
            nothingSent = true
        } else {
            self.error = error
            nothingSent = false
        }
        kind = factory.classify(self.error)
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
