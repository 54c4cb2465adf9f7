import Testing
import TetherPool
import TetherTestKit

/// Which task a lease belongs to, as a timed-out waiter is told (nested acquisition, P6).
@Suite("ConnectionPool: the task that holds a lease")
struct ConnectionPoolHolderTests {
    @Test("P6: a task handed a connection after waiting is named as its holder when it nests")
    func handedOffTaskHoldsTheLease() async throws {
        try await withFakePool(maximum: 1) { pool, clock in
            let release = Gate()
            let first = Task { try await pool.withConnection { _ in await release.wait() } }
            await eventually("the first task has the connection") { pool.gauges.leased == 1 }
            let nesting = Task {
                try await pool.withConnection { _ in try await pool.withConnection { _ in } }
            }
            await eventually("the second task waits") { pool.gauges.waiting == 1 }
            release.open()
            try await first.value
            // The first task's return handed the connection over: a wait now is the nested one.
            await eventually("the second task nests") { pool.gauges.leased == 1 && pool.gauges.waiting == 1 }
            clock.advance(by: .seconds(10))
            let error = await #expect(throws: ConnectionPoolError.self) { try await nesting.value }
            #expect(error?.code == .acquireTimeout)
            #expect(error?.currentTaskHoldsLease == true)
        }
    }

    @Test("P6: of three waiters only the task holding the lease is named; another task and its child are not")
    func onlyTheHolderIsNamed() async throws {
        try await withFakePool(maximum: 1) { pool, clock in
            // Tasks that borrowed and ended: a task started later may get the same address.
            for _ in 0..<3 {
                try await Task { try await pool.withConnection { _ in } }.value
            }
            let holder = Task {
                try await pool.withConnection { _ in
                    // A child task is another task: documented as not reported nested.
                    async let child = acquisitionError { try await pool.withConnection { _ in } }
                    let own = await acquisitionError { try await pool.withConnection { _ in } }
                    return (own, await child)
                }
            }
            await eventually("the holder and its child wait") { pool.gauges.waiting == 2 }
            let other = Task { await acquisitionError { try await pool.withConnection { _ in } } }
            await eventually("another task waits too") { pool.gauges.waiting == 3 }
            clock.advance(by: .seconds(10))
            let (own, child) = try await holder.value
            let another = await other.value
            #expect(own?.code == .acquireTimeout)
            #expect(own?.currentTaskHoldsLease == true)
            #expect(child?.code == .acquireTimeout)
            #expect(child?.currentTaskHoldsLease == false)
            #expect(another?.code == .acquireTimeout)
            #expect(another?.currentTaskHoldsLease == false)
            #expect(pool.gauges == PoolGauges(idle: 1, leased: 0, creating: 0, waiting: 0, generation: 1))
        }
    }
}

/// The pool's error `body` ended with; `nil` when it returned.
private func acquisitionError(_ body: () async throws -> Void) async -> ConnectionPoolError? {
    do {
        try await body()
        return nil
    } catch {
        return error as? ConnectionPoolError
    }
}
