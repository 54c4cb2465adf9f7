import Foundation
import Testing
import TetherLocking
import TetherTestKit

@testable import TetherPool

/// The shell passes the caller's ``ThreadAffinity`` to the machine: a caller on a marked thread
/// is lent that thread's connection even when another one was used last.
@Suite("ConnectionPool: thread affinity", .timeLimit(.minutes(1)))
struct ConnectionPoolAffinityTests {
    @Test("a caller on a connection's thread is lent that connection, not the one returned last")
    func callerOnMarkedThreadGetsItsConnection() async throws {
        let thread = MarkedThreadExecutor()
        let factory = FakeConnectionFactory(threadMarks: [thread.mark])
        var configuration = PoolConfiguration.testing(minimum: 2, maximum: 2)
        configuration.keepAliveThreshold = nil
        let pool = try ConnectionPool(factory: factory, target: "fake", configuration: configuration)
        async let running: Void = pool.run()
        while pool.gauges.idle < 2 {
            await Task.yield()
        }
        let marked = try #require(factory.connections.first { factory.threadAffinity(of: $0) != nil }?.id)
        for _ in 0..<5 {
            // Return the marked connection first, so the other one is the most recently used.
            let leases = [try await pool.acquire(), try await pool.acquire()]
            let isMarked = { (lease: PoolLease) in pool.connection(of: lease).id == marked }
            let ordered = leases.sorted { isMarked($0) && !isMarked($1) }
            for lease in ordered {
                pool.release(lease, .reusable)
            }
            let fromGlobal = try await pool.withConnection { $0.id }
            #expect(fromGlobal != marked)
            let fromMarked = try await Task(executorPreference: thread) { try await pool.withConnection { $0.id } }
                .value
            #expect(fromMarked == marked)
        }
        await pool.shutdown()
        await running
        thread.stop()
    }
}
