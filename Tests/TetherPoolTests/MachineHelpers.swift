@testable import TetherPool

typealias Machine = PoolStateMachine<String, String>

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
    var creations: [(id: Int, generation: Int, target: String)] {
        compactMap {
            if case .create(let id, let generation, let target) = $0 { (id, generation, target) } else { nil }
        }
    }

    var handOffs: [(waiter: Int, lease: Machine.Lease)] {
        compactMap { if case .handOff(let waiter, let lease, _) = $0 { (waiter, lease) } else { nil } }
    }

    var failures: [(waiter: Int, error: ConnectionPoolError)] {
        compactMap { if case .failWaiter(let waiter, let error) = $0 { (waiter, error) } else { nil } }
    }

    var closes: [(connection: String, reason: CloseReason)] {
        compactMap { if case .close(let connection, _, _, let reason) = $0 { (connection, reason) } else { nil } }
    }

    var forcedCloses: [String] {
        compactMap { if case .forceClose(let connection, _, _) = $0 { connection } else { nil } }
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
    mutating func expectWait(_ waiter: Int, at now: Duration = .zero, holdsLease: Bool = false) -> [Action] {
        guard case .wait(let actions) = acquire(waiter: waiter, currentTaskHoldsLease: holdsLease, now: now) else {
            preconditionFailure("expected waiter \(waiter) to wait")
        }
        return actions
    }

    /// Acquires, expecting an idle connection at once.
    mutating func expectLease(at now: Duration = .zero) -> Lease {
        guard case .leased(let lease) = acquire(waiter: makeID(), currentTaskHoldsLease: false, now: now) else {
            preconditionFailure("expected an idle connection")
        }
        return lease
    }

    /// Opens `count` idle connections of the current generation.
    mutating func fill(_ count: Int, at now: Duration = .zero) -> [String] {
        (1...count).map { index in
            let name = "g\(current)-c\(index)"
            let action = startCreation(current, purpose: .demand)
            guard case .create(let id, _, _) = action else {
                preconditionFailure("expected a creation")
            }
            _ = connectionCreated(creation: id, name, now: now, lifetimeFactor: 0)
            return name
        }
    }
}
