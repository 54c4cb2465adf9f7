import Testing
import TetherPool
import TetherTestKit

@Suite("ConnectionPool: borrowing")
struct ConnectionPoolTests {
    @Test("withConnection lends a connection, counts the operation and takes the connection back")
    func lendsAndCounts() async throws {
        try await withFakePool { pool, _ in
            let id = try await pool.withConnection { connection in
                #expect(pool.activeOperations == 1)
                #expect(pool.activeOperations(inGeneration: 1) == 1)
                try connection.perform()
                return connection.id
            }
            #expect(id == 1)
            #expect(pool.activeOperations == 0)
            #expect(pool.gauges == PoolGauges(idle: 1, leased: 0, creating: 0, waiting: 0, generation: 1))
            let again = try await pool.withConnection { $0.id }
            #expect(again == 1)
        }
    }

    @Test("an operation's own error returns the connection and is rethrown unchanged")
    func operationErrorIsRethrown() async throws {
        struct Mistake: Error {}
        try await withFakePool { pool, _ in
            await #expect(throws: Mistake.self) {
                try await pool.withConnection { _ in throw Mistake() }
            }
            #expect(pool.gauges.idle == 1)
            #expect(pool.activeOperations == 0)
        }
    }

    @Test("P7: a connection returned inside a transaction is rolled back before anyone reuses it")
    func openTransactionIsRolledBack() async throws {
        try await withFakePool { pool, _ in
            try await pool.withConnection { $0.beginTransaction() }
            let (inTransaction, rollbacks) = try await pool.withConnection { ($0.isInTransaction, $0.rollbacks) }
            #expect(!inTransaction)
            #expect(rollbacks == 1)
        }
    }

    @Test("P7: a connection that cannot be rolled back is discarded")
    func openTransactionIsDiscarded() async throws {
        let factory = FakeConnectionFactory()
        factory.discardsOpenTransactions = true
        try await withFakePool(factory: factory) { pool, _ in
            try await pool.withConnection { $0.beginTransaction() }
            let next = try await pool.withConnection { ($0.id, $0.isInTransaction) }
            #expect(next == (2, false))
            #expect(factory.connections[0].isClosed)
            #expect(pool.counters.closed[.resetFailed] == 1)
        }
    }

    @Test("P10: waiters are served first come, first served")
    func waitersInOrder() async throws {
        try await withFakePool(maximum: 1) { pool, _ in
            let release = Gate()
            let order = Recorder<Int>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await pool.withConnection { _ in await release.wait() } }
                await eventually("the holder has the connection") { pool.gauges.leased == 1 }
                for caller in 1...8 {
                    group.addTask { try await pool.withConnection { _ in order.append(caller) } }
                    await eventually("caller \(caller) waits") { pool.gauges.waiting == caller }
                }
                release.open()
                try await group.waitForAll()
            }
            #expect(order.all == Array(1...8))
            #expect(pool.counters.waitTimes.count == 9, "the holder waited for the first connection")
        }
    }

    @Test("P5: cancelling a waiter as the connection is handed to it leaves every count exact")
    func cancellationRacingHandOff() async throws {
        try await withFakePool(maximum: 1) { pool, _ in
            for _ in 0..<50 {
                let release = Gate()
                let holder = Task { try await pool.withConnection { _ in await release.wait() } }
                await eventually("the holder has the connection") { pool.gauges.leased == 1 }
                let waiter = Task { try await pool.withConnection { $0.id } }
                await eventually("the waiter waits") { pool.gauges.waiting == 1 }
                release.open()
                waiter.cancel()
                _ = try await holder.value
                _ = await waiter.result
                #expect(pool.gauges == PoolGauges(idle: 1, leased: 0, creating: 0, waiting: 0, generation: 1))
                #expect(pool.activeOperations == 0)
            }
        }
    }

    @Test("P6: a nested acquisition in an exhausted pool times out and names the lease the task holds")
    func nestedAcquisitionTimesOut() async throws {
        try await withFakePool(maximum: 1) { pool, clock in
            let outcome = Task {
                try await pool.withConnection { _ in
                    try await pool.withConnection { _ in }
                }
            }
            await eventually("the inner acquisition waits") { pool.gauges.leased == 1 && pool.gauges.waiting == 1 }
            clock.advance(by: .seconds(10))
            let error = await #expect(throws: ConnectionPoolError.self) { try await outcome.value }
            #expect(error?.code == .acquireTimeout)
            #expect(error?.currentTaskHoldsLease == true)
        }
    }

    @Test("a cancelled waiter leaves the queue with CancellationError")
    func cancelledWaiter() async throws {
        try await withFakePool(maximum: 1) { pool, _ in
            let release = Gate()
            let holder = Task { try await pool.withConnection { _ in await release.wait() } }
            await eventually("the holder has the connection") { pool.gauges.leased == 1 }
            let waiter = Task { try await pool.withConnection { _ in } }
            await eventually("the waiter waits") { pool.gauges.waiting == 1 }
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            #expect(pool.gauges.waiting == 0)
            release.open()
            try await holder.value
        }
    }

    @Test("after shutdown a caller fails with the shutdown error")
    func shutdownRefusesCallers() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(factory: factory) { pool, _ in
            try await pool.withConnection { _ in }
            await pool.shutdown()
            let error = await #expect(throws: ConnectionPoolError.self) { try await pool.withConnection { _ in } }
            #expect(error?.code == .shutdown)
            #expect(factory.openConnections.isEmpty)
        }
    }
}
