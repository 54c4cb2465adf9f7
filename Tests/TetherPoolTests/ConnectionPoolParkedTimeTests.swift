import Testing
import TetherTestKit

@testable import TetherPool

/// What a connection that waited parked on its thread keeps of its history: the time it was
/// last used, whether it must be checked, whether it may park again at all.
@Suite("ConnectionPool: parked connections' time and health", .timeLimit(.minutes(1)))
struct ConnectionPoolParkedTimeTests {
    @Test("the keep-alive threshold counts from the last use of a connection taken from its cell and returned")
    func keepAliveCountsFromLastUse() async throws {
        try await withOneThread { pool, thread, clock in
            _ = try await pool.borrow(on: thread)
            clock.advance(by: .seconds(20))
            // Taken from the cell, used, and given back through the machine (the body threw).
            await #expect(throws: FakeConnectionError.self) {
                try await thread.run { try await pool.withConnection { _ in throw FakeConnectionError.refused } }
            }
            #expect(pool.cellStates == [.off])
            clock.advance(by: .seconds(20))
            let before = pool.factory.validations
            _ = try await pool.borrow(on: thread)
            #expect(pool.factory.validations == before, "used 20 s ago, under the 30 s threshold")
        }
    }

    @Test("a parked connection past the keep-alive threshold that fails its check is closed and replaced")
    func staleParkedConnectionFailingItsCheckIsReplaced() async throws {
        try await withOneThread { pool, thread, clock in
            let first = try await pool.borrow(on: thread)
            pool.factory.connections[first - 1].kill()
            clock.advance(by: .seconds(31))
            #expect(pool.cellStates == [.parked])
            let used = try await thread.run {
                try await pool.withConnection { connection in
                    try connection.perform()
                    return connection.id
                }
            }
            #expect(used != first)
            #expect(pool.factory.validations == 1)
            #expect(pool.counters.closed[.failedValidation] == 1)
        }
    }

    @Test("a caller cancelled at the check of a stale parked connection gives it back unharmed, still due for it")
    func cancelledCheckOfParkedConnection() async throws {
        try await withOneThread { pool, thread, clock in
            _ = try await pool.borrow(on: thread)
            clock.advance(by: .seconds(31))
            let cancelled = Task(executorPreference: thread) {
                withUnsafeCurrentTask { $0?.cancel() }
                try await pool.withConnection { _ in }
            }
            await #expect(throws: CancellationError.self) { try await cancelled.value }
            #expect(pool.factory.validations == 1)
            #expect(pool.counters.closed.isEmpty)
            #expect(pool.cellStates == [.off])
            #expect(pool.gauges == PoolGauges(idle: 1, leased: 0, creating: 0, waiting: 0, generation: 1))
            _ = try await pool.borrow(on: thread)
            #expect(pool.factory.validations == 2, "the next borrower checks it")
            #expect(pool.factory.attempts == 1, "no connection was made in its place")
        }
    }

    @Test("the idle timeout counts from when the connection was parked, not from when it was taken back")
    func idleTimeoutCountsFromParking() async throws {
        var configuration = PoolConfiguration.testing(minimum: 0, maximum: 1)
        configuration.idleTimeout = .seconds(60)
        configuration.keepAliveThreshold = nil
        configuration.maintenanceInterval = .seconds(50)
        try await withThreadedPool(configuration, made: 0) { pool, threads, clock in
            let thread = threads[0]
            // The first borrow waits for the connection's creation; the second parks it, at t+0.
            _ = try await pool.borrow(on: thread)
            _ = try await pool.borrow(on: thread)
            #expect(pool.cellStates == [.parked])
            await eventually("the tick sleeps") { clock.sleeperDeadlines.contains(.init(offset: .seconds(50))) }
            clock.advance(by: .seconds(50))
            await eventually("the tick took the connection back") { pool.cellStates == [.off] }
            #expect(pool.counters.closed.isEmpty)
            await eventually("the tick sleeps") { clock.sleeperDeadlines.contains(.init(offset: .seconds(100))) }
            clock.advance(by: .seconds(50))
            await eventually("idle for 100 s since it parked: closed") { pool.counters.closed[.idleTimeout] == 1 }
        }
    }

    @Test("an eviction marks connections parked on their threads for a check, as it does idle ones")
    func evictionMarksParkedConnectionsSuspect() async throws {
        try await withOneThread(minimum: 2) { pool, thread, _ in
            let marked = try await pool.borrow(on: thread)
            #expect(pool.cellStates == [.parked])
            // The server restarts: both connections are dead; the unmarked one finds out first.
            pool.factory.connections.forEach { $0.kill() }
            let error = await #expect(throws: ConnectionPoolError.self) {
                try await pool.withConnection { try $0.perform() }
            }
            #expect(error?.code == .outcomeUnknown)
            // The parked one is checked before use, found dead, and replaced: nothing is lost.
            try await thread.run { try await pool.withConnection { try $0.perform() } }
            #expect(pool.factory.connections[marked - 1].isClosed)
            #expect(pool.counters.closed[.failedValidation] == 1)
        }
    }

    @Test("a connection checked once after an eviction is not checked again on every borrow from its cell")
    func checkedParkedConnectionIsNotCheckedAgain() async throws {
        var configuration = PoolConfiguration.testing(minimum: 2, maximum: 2)
        configuration.maintenanceInterval = .seconds(1000)
        configuration.keepAliveThreshold = nil
        try await withThreadedPool(configuration) { pool, threads, _ in
            let thread = threads[0]
            let marked = try await pool.borrow(on: thread)
            // The other connection breaks: the parked one is taken back and marked for a check.
            let other = try #require(pool.factory.connections.first { $0.id != marked })
            other.kill()
            _ = try? await pool.withConnection(idempotent: false) { try $0.perform() }
            let before = pool.factory.validations
            for _ in 0..<3 {
                #expect(try await pool.borrow(on: thread) == marked)
            }
            #expect(pool.factory.validations == before + 1, "checked once, then taken from its cell unchecked")
        }
    }

    @Test("P7: a connection returned in a transaction that cannot be rolled back is closed, never parked")
    func dirtyConnectionIsNotParked() async throws {
        try await withOneThread { pool, thread, _ in
            _ = try await pool.borrow(on: thread)
            pool.factory.discardsOpenTransactions = true
            try await thread.run { try await pool.withConnection { $0.beginTransaction() } }
            #expect(pool.cellStates.allSatisfy { $0 != .parked })
            #expect(pool.counters.closed[.resetFailed] == 1)
            pool.factory.discardsOpenTransactions = false
            let fresh = try await thread.run { try await pool.withConnection { $0 } }
            #expect(!fresh.isInTransaction)
            #expect(fresh.id == 2)
        }
    }

    @Test("P7: a connection returned in a transaction is rolled back before it parks")
    func transactionIsRolledBackBeforeParking() async throws {
        try await withOneThread { pool, thread, _ in
            try await thread.run { try await pool.withConnection { $0.beginTransaction() } }
            let connection = try #require(pool.factory.connections.first)
            #expect(connection.rollbacks == 1)
            let taken = try await thread.run { try await pool.withConnection { $0 } }
            #expect(taken === connection)
            #expect(!taken.isInTransaction)
        }
    }
}

/// Runs `body` with a running pool of `minimum` connections (as many at most), the first of
/// them owning `thread`, and no maintenance tick before the test moves the clock 1,000 s.
private func withOneThread(
    minimum: Int = 1, _ body: (FakePool, MarkedThreadExecutor, ManualClock) async throws -> Void
) async throws {
    var configuration = PoolConfiguration.testing(minimum: minimum, maximum: minimum)
    configuration.maintenanceInterval = .seconds(1000)
    try await withThreadedPool(configuration) { pool, threads, clock in try await body(pool, threads[0], clock) }
}

/// Runs `body` with a running pool whose connections own `threads` marked threads, once
/// `made` connections are idle.
func withThreadedPool(
    threads count: Int = 1, _ configuration: PoolConfiguration, made: Int? = nil,
    _ body: (FakePool, [MarkedThreadExecutor], ManualClock) async throws -> Void
) async throws {
    let threads = (0..<count).map { _ in MarkedThreadExecutor() }
    defer { threads.forEach { $0.stop() } }
    let factory = FakeConnectionFactory(threadMarks: threads.map(\.mark))
    let clock = ManualClock()
    let pool = try ConnectionPool(factory: factory, target: "db-a", configuration: configuration, clock: clock)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await pool.run() }
        let wanted = made ?? configuration.minimumConnections
        await eventually("the minimum is made") { pool.gauges.idle == wanted }
        do {
            try await body(pool, threads, clock)
        } catch {
            group.cancelAll()
            throw error
        }
        await pool.shutdown()
        try await group.waitForAll()
    }
    #expect(factory.openConnections.isEmpty)
}
