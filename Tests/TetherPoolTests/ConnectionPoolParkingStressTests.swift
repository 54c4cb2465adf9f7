import Testing
import TetherTestKit

@testable import TetherPool

/// Borrowers on connection threads and elsewhere, at once, while the pool swaps: parked
/// connections must be taken back without a failed caller, a lost connection or a wrong count.
@Suite("ConnectionPool: parking under load", .timeLimit(.minutes(1)))
struct ConnectionPoolParkingStressTests {
    @Test("tasks on four marked threads and four elsewhere borrow through five swaps; none fails, none is lost")
    func borrowersAndSwaps() async throws {
        let threads = (0..<4).map { _ in MarkedThreadExecutor() }
        defer { threads.forEach { $0.stop() } }
        let factory = FakeConnectionFactory(threadMarks: threads.map(\.mark))
        let pool = try ConnectionPool(
            factory: factory, target: "db-0", configuration: .testing(minimum: 4, maximum: 6), clock: ManualClock())
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                await pool.run()
                return 0
            }
            await eventually("the minimum is made") { pool.gauges.idle == 4 }
            for worker in 0..<8 {
                let executor: (any TaskExecutor)? = worker < 4 ? threads[worker] : nil
                group.addTask(executorPreference: executor) {
                    var done = 0
                    for _ in 0..<2_000 {
                        done += try await pool.withConnection { connection in
                            try connection.perform()
                            return 1
                        }
                    }
                    return done
                }
            }
            for round in 1...5 {
                let report = await pool.swap(to: "db-\(round)")
                #expect(report.forced == 0)
            }
            var operations = 0
            for _ in 0..<8 {
                operations += try await group.next() ?? 0
            }
            #expect(operations == 8 * 2_000)
            let gauges = pool.gauges
            #expect(gauges.leased == 0)
            #expect(gauges.activeOperations == 0)
            #expect(gauges.generation == 6)
            await pool.shutdown()
            try await group.waitForAll()
        }
        #expect(factory.openConnections.isEmpty)
        #expect(pool.counters.acquireTimeouts == 0)
    }
}
