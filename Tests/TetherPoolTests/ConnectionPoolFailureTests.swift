import Testing
import TetherPool
import TetherTestKit

@Suite("ConnectionPool: broken connections and an unreachable target")
struct ConnectionPoolFailureTests {
    @Test("P1: after a restart, stale idle connections are validated away and a fresh one is made")
    func staleIdleConnectionsAreReplaced() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(minimum: 2, factory: factory) { pool, clock in
            await eventually("the minimum is open") { pool.gauges.idle == 2 }
            factory.connections.forEach { $0.kill() }
            clock.advance(by: .seconds(31))
            let id = try await pool.withConnection { connection in
                try connection.perform()
                return connection.id
            }
            #expect(id > 2)
            #expect(factory.connections[0...1].allSatisfy { $0.isClosed && $0.operations == 0 })
            #expect(pool.counters.closed[.failedValidation] == 2)
        }
    }

    @Test("P2: an idempotent operation that finds its connection broken runs once more on a fresh one")
    func idempotentRetry() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(factory: factory) { pool, _ in
            try await pool.withConnection { _ in }
            factory.connections[0].kill()
            let id = try await pool.withConnection(idempotent: true) { connection in
                try connection.perform()
                return connection.id
            }
            #expect(id == 2)
            #expect(factory.connections[0].isClosed)
            #expect(pool.counters.evictions == 1)
        }
    }

    @Test("P2: an operation that failed before sending anything is retried although not idempotent")
    func nothingSentRetry() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(factory: factory) { pool, _ in
            try await pool.withConnection { _ in }
            factory.connections[0].kill()
            let id = try await pool.withConnection { connection in
                do {
                    try connection.perform()
                } catch {
                    throw NothingSentError(error)
                }
                return connection.id
            }
            #expect(id == 2)
        }
    }

    @Test("P8: a non-idempotent operation broken after sending is not replayed; the outcome is unknown")
    func noReplayAfterSend() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(factory: factory) { pool, _ in
            try await pool.withConnection { _ in }
            factory.connections[0].kill()
            let runs = Recorder<Int>()
            let error = await #expect(throws: ConnectionPoolError.self) {
                try await pool.withConnection { connection in
                    runs.append(connection.id)
                    try connection.perform()
                }
            }
            #expect(error?.code == .outcomeUnknown)
            #expect(error?.underlying as? FakeConnectionError == .broken)
            #expect(runs.all == [1])
        }
    }

    @Test("an unknown outcome is never replayed, even for an idempotent operation")
    func unknownOutcomeNotReplayed() async throws {
        try await withFakePool { pool, _ in
            let runs = Recorder<Int>()
            let error = await #expect(throws: ConnectionPoolError.self) {
                try await pool.withConnection(idempotent: true) { connection in
                    runs.append(connection.id)
                    throw FakeConnectionError.outcomeUnknown
                }
            }
            #expect(error?.code == .outcomeUnknown)
            #expect(runs.all.count == 1)
        }
    }

    @Test("a retried operation runs at most twice")
    func atMostOneRetry() async throws {
        try await withFakePool { pool, _ in
            let runs = Recorder<Int>()
            await #expect(throws: FakeConnectionError.broken) {
                try await pool.withConnection(idempotent: true) { connection in
                    runs.append(connection.id)
                    throw FakeConnectionError.broken
                }
            }
            #expect(runs.all == [1, 2])
        }
    }

    @Test("P3: with the target down, a caller fails with the real cause, not with an exhausted pool")
    func unreachableTargetFailsWithCause() async throws {
        let factory = FakeConnectionFactory(defaultAttempt: .fail(FakeConnectionError.refused))
        try await withFakePool(factory: factory) { pool, _ in
            let error = await #expect(throws: ConnectionPoolError.self) { try await pool.withConnection { _ in } }
            #expect(error?.code == .connectFailed)
            #expect(error?.underlying as? FakeConnectionError == .refused)
            #expect(factory.attempts == 1)
        }
    }

    @Test("P3: callers in a tight loop against a down target start one attempt per hold-off, not one each")
    func downTargetHoldsOffAttempts() async throws {
        let factory = FakeConnectionFactory(defaultAttempt: .fail(FakeConnectionError.refused))
        try await withFakePool(factory: factory) { pool, clock in
            for _ in 0..<200 {
                let error = await #expect(throws: ConnectionPoolError.self) { try await pool.withConnection { _ in } }
                #expect(error?.code == .connectFailed)
                #expect(error?.underlying as? FakeConnectionError == .refused)
            }
            #expect(factory.attempts == 1)
            #expect(pool.counters.connectFailures == 200)
            // The first hold is the creation policy's first delay, 250 ms with 20 % jitter.
            clock.advance(by: .seconds(1))
            await #expect(throws: ConnectionPoolError.self) { try await pool.withConnection { _ in } }
            #expect(factory.attempts == 2)
            factory.defaultAttempt = .succeed
            clock.advance(by: .seconds(1))
            try await pool.withConnection { _ in }
            #expect(factory.attempts == 3)
        }
    }

    @Test("P3: refused credentials fail the caller and are not retried in the background")
    func refusedCredentialsStopRetrying() async throws {
        let factory = FakeConnectionFactory(defaultAttempt: .fail(FakeConnectionError.authentication))
        try await withFakePool(minimum: 1, factory: factory) { pool, clock in
            await factory.waitForAttempts(1)
            let error = await #expect(throws: ConnectionPoolError.self) { try await pool.withConnection { _ in } }
            #expect(error?.underlying as? FakeConnectionError == .authentication)
            let attempts = factory.attempts
            clock.advance(by: .seconds(60))
            await eventually("the maintenance ticks ran") {
                clock.sleeperDeadlines.contains { $0.offset > .seconds(60) }
            }
            #expect(factory.attempts == attempts)
        }
    }

    @Test("P4: a connection attempt that hangs and then fails frees its slot")
    func hungAttemptFreesSlot() async throws {
        let factory = FakeConnectionFactory()
        factory.script(.suspend)
        try await withFakePool(maximum: 1, factory: factory) { pool, clock in
            let first = Task { try await pool.withConnection { $0.id } }
            await eventually("the attempt hangs") { factory.suspendedAttempts == 1 }
            factory.finishSuspendedAttempt(.fail(FakeConnectionError(.other, "login timeout expired")))
            let error = await #expect(throws: ConnectionPoolError.self) { try await first.value }
            #expect(error?.code == .connectFailed)
            #expect(pool.gauges.creating == 0)
            // The next caller comes after the pool's hold-off on attempts (at most 300 ms).
            clock.advance(by: .seconds(1))
            let id = try await pool.withConnection { $0.id }
            #expect(id == 1)
            #expect(factory.attempts == 2)
        }
    }
}
