import Testing
import TetherPool
import TetherTestKit

@Suite("No leaks: ConnectionPool")
struct PoolLeakTests {
    @Test(
        "2,000 operations from 50 tasks across a hot swap, then shutdown, leave no connection or task"
    )
    func poolLeavesNothing() async throws {
        let factory = FakeConnectionFactory()
        let reference = try await Self.exercise(factory)
        #expect(factory.connections.count > 0)
        #expect(factory.openConnections.isEmpty)
        #expect(reference.object == nil)
    }

    /// Runs the pool through heavy use, a swap and shutdown; returns it held only weakly.
    private static func exercise(
        _ factory: FakeConnectionFactory
    ) async throws -> WeakReference<ConnectionPool<FakeConnectionFactory>> {
        var configuration = PoolConfiguration()
        configuration.maximumConnections = 8
        let pool = try ConnectionPool(factory: factory, target: "db-a", configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await pool.run() }
            try await withThrowingTaskGroup(of: Void.self) { workers in
                for _ in 0..<50 {
                    workers.addTask {
                        for _ in 0..<40 {
                            try await pool.withConnection { try $0.perform() }
                        }
                    }
                }
                workers.addTask { _ = await pool.swap(to: "db-b") }
                try await workers.waitForAll()
            }
            #expect(pool.activeOperations == 0)
            await pool.shutdown()
            try await group.waitForAll()
        }
        return WeakReference(pool)
    }
}
