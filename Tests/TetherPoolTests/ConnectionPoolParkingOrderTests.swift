import Testing
import TetherTestKit

@testable import TetherPool

/// First come, first served with connections that park on their threads: once anyone waits,
/// a connection given back on its thread goes to the waiters in turn, never to its cell.
@Suite("ConnectionPool: parking and the order of waiters", .timeLimit(.minutes(1)))
struct ConnectionPoolParkingOrderTests {
    @Test("P10: a connection given back on its thread while callers wait serves them in order, then its thread")
    func returnWhileCallersWaitServesThemInOrder() async throws {
        try await withThreadedPool(.testing(minimum: 1, maximum: 1)) { pool, threads, _ in
            let thread = threads[0]
            let order = Recorder<String>()
            let done = Gate()
            let holder = Task(executorPreference: thread) {
                try await pool.withConnection { _ in await done.wait() }
                // Straight back on the same thread: behind the callers already waiting.
                try await pool.withConnection { _ in order.append("holder again") }
            }
            await eventually("the holder has the connection through its cell") { pool.cellStates == [.lent] }
            let first = Task { try await pool.withConnection { _ in order.append("first") } }
            await eventually("the first caller waits") { pool.gauges.waiting == 1 }
            #expect(pool.cellStates == [.off])
            let second = Task(executorPreference: thread) {
                try await pool.withConnection { _ in order.append("second, on the thread") }
            }
            await eventually("the second caller waits") { pool.gauges.waiting == 2 }
            done.open()
            try await holder.value
            try await first.value
            try await second.value
            #expect(order.all == ["first", "second, on the thread", "holder again"])
            #expect(pool.gauges.leased == 0)
        }
    }
}
