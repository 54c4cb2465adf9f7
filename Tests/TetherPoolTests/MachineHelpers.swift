import TetherTestKit

@testable import TetherPool

typealias Machine = PoolStateMachine

extension PoolConfiguration {
    /// A configuration for tests: `maximum` connections, the given minimum, round timeouts.
    static func testing(minimum: Int = 0, maximum: Int = 2) -> PoolConfiguration {
        var configuration = PoolConfiguration()
        configuration.minimumConnections = minimum
        configuration.maximumConnections = maximum
        configuration.acquireTimeout = .seconds(10)
        configuration.connectTimeout = .seconds(2)
        configuration.idleTimeout = .seconds(60)
        configuration.maximumLifetime = .seconds(1000)
        configuration.keepAliveThreshold = .seconds(30)
        configuration.swapDrainTimeout = .seconds(5)
        configuration.reconnectDrainTimeout = .seconds(35)
        return configuration
    }
}

extension Array where Element == Machine.Action {
    var creations: [(id: Int, generation: Int)] {
        compactMap { if case .create(let id, let generation) = $0 { (id, generation) } else { nil } }
    }

    var handOffs: [(waiter: Int, lease: Machine.Lease)] {
        compactMap { if case .handOff(let waiter, let lease, _) = $0 { (waiter, lease) } else { nil } }
    }

    var failures: [(waiter: Int, error: ConnectionPoolError)] {
        compactMap { if case .failWaiter(let waiter, let error) = $0 { (waiter, error) } else { nil } }
    }

    var closes: [(id: Int, reason: CloseReason)] {
        compactMap { if case .close(let id, _, let reason) = $0 { (id, reason) } else { nil } }
    }

    var forcedCloses: [Int] {
        compactMap { if case .forceClose(let id, _) = $0 { id } else { nil } }
    }

    var swapReports: [(id: Int, report: SwapReport)] {
        compactMap { if case .completeSwap(let id, let report) = $0 { (id, report) } else { nil } }
    }

    var drainTimers: [(generation: Int, deadline: Duration)] {
        compactMap { if case .armDrainTimer(let generation, let at) = $0 { (generation, at) } else { nil } }
    }
}

extension Machine {
    /// Acquires for `waiter`, expecting to wait, and returns the actions.
    mutating func expectWait(_ waiter: Int, at now: Duration = .zero, holder: UInt = 0) -> [Action] {
        guard case .wait(let actions) = acquire(waiter: waiter, holder: holder, now: now) else {
            preconditionFailure("expected waiter \(waiter) to wait")
        }
        return actions
    }

    /// Acquires, expecting an idle connection at once.
    mutating func expectLease(at now: Duration = .zero, holder: UInt = 0) -> Lease {
        guard case .leased(let lease) = acquire(waiter: makeID(), holder: holder, now: now) else {
            preconditionFailure("expected an idle connection")
        }
        return lease
    }

    /// One attempt of creation `creation` failed; hold-offs are jittered by a fixed seed.
    mutating func creationAttemptFailed(
        creation: Int, error: any Error, kind: ConnectionFailureKind, now: Duration
    ) -> (actions: [Action], retry: Bool) {
        var random = SeededGenerator(seed: 7)
        return creationAttemptFailed(creation: creation, error: error, kind: kind, now: now, random: &random)
    }

    /// Creation `creation` produced a connection, numbered as the shell would.
    mutating func created(_ creation: Int, now: Duration = .zero, lifetimeFactor: Double = 0) -> [Action] {
        connectionCreated(creation: creation, connection: makeID(), now: now, lifetimeFactor: lifetimeFactor)
    }

    /// Opens `count` idle connections of the current generation and returns their identifiers.
    mutating func fill(_ count: Int, at now: Duration = .zero) -> [Int] {
        (1...count).map { _ in
            guard case .create(let creation, _) = startCreation(current, purpose: .demand) else {
                preconditionFailure("expected a creation")
            }
            let id = makeID()
            _ = connectionCreated(creation: creation, connection: id, now: now, lifetimeFactor: 0)
            return id
        }
    }
}
