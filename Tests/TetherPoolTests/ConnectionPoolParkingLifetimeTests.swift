import Testing
import TetherTestKit

@testable import TetherPool

/// A pool whose ``ConnectionPool/run()`` is cancelled instead of shut down, while a connection
/// waits parked on its thread: the thread keeps a cell, never the connection or the pool.
@Suite("ConnectionPool: parking and the pool's end", .timeLimit(.minutes(1)))
struct ConnectionPoolParkingLifetimeTests {
    @Test("a pool whose run() is cancelled closes the connection parked on its thread and is freed")
    func cancelledRunClosesParkedConnectionAndFreesPool() async throws {
        let thread = MarkedThreadExecutor()
        defer { thread.stop() }
        let factory = FakeConnectionFactory(threadMarks: [thread.mark])
        weak var dropped: FakePool?
        do {
            let pool = try ConnectionPool(
                factory: factory, target: "db-a", configuration: .testing(minimum: 1, maximum: 1), clock: ManualClock())
            dropped = pool
            let running = Task { await pool.run() }
            await eventually("the connection is made") { pool.gauges.idle == 1 }
            _ = try await pool.borrow(on: thread)
            #expect(pool.cellStates == [.parked])
            running.cancel()
            await running.value
            #expect(pool.state.withLock { $0.cells.isEmpty })
        }
        await eventually("the parked connection is closed") { factory.connections.allSatisfy(\.isClosed) }
        await eventually("the pool is freed although its thread keeps the cell") { dropped == nil }
    }
}
