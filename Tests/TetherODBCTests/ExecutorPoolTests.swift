import CTetherODBC
import Testing
import TetherPool

@testable import TetherODBC

/// Pools and tasks that prefer ``ConnectionThreadExecutor``: two pools at once, and the
/// pool's thread marks after its connections were replaced.
@Suite("ConnectionThreadExecutor with pools", .needsSQLite, .timeLimit(.minutes(1)))
struct ExecutorPoolTests {
    @Test("a preferring task nests borrows from two pools and uses both connections in turn")
    func nestedBorrowsFromTwoPools() async throws {
        try await Databases.withSQLite { first in
            try await Databases.withSQLite { second in
                let outer = try pool(first)
                let inner = try pool(second)
                async let runningOuter: Void = outer.run()
                async let runningInner: Void = inner.run()
                let sessions = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<4 {
                        group.addTask(executorPreference: ConnectionThreadExecutor.shared) {
                            var sessions = 0
                            for _ in 0..<50 {
                                sessions += try await outer.withConnection { a in
                                    try await a.withSession { try $0.query("SELECT 1").count }
                                        + inner.withConnection { b in
                                            try await b.withSession { try $0.query("SELECT 1").count }
                                                + a.withSession { try $0.query("SELECT 1").count }
                                        }
                                }
                            }
                            return sessions
                        }
                    }
                    return try await group.reduce(0, +)
                }
                await outer.shutdown()
                await inner.shutdown()
                await runningOuter
                await runningInner
                #expect(sessions == 4 * 50 * 3)
            }
        }
    }

    @Test("after reconnect the pool lends each preferring task its own thread's new connection")
    func affinityAfterReconnect() async throws {
        try await Databases.withSQLite { connectString in
            let pool = try pool(connectString)
            async let running: Void = pool.run()
            _ = try await borrowOnOwnThread(pool)
            _ = await pool.reconnect()
            let matched = try await borrowOnOwnThread(pool)
            await pool.shutdown()
            await running
            #expect(matched > 3 * 100 / 2)
        }
    }

    private func pool(_ connectString: ODBCConnectString) throws -> ConnectionPool<ODBCConnectionFactory> {
        var configuration = PoolConfiguration()
        configuration.minimumConnections = 3
        configuration.maximumConnections = 3
        return try ConnectionPool(factory: ODBCConnectionFactory(), target: connectString, configuration: configuration)
    }

    /// How many of 3 × 100 borrows by preferring tasks got the connection of their own thread.
    private func borrowOnOwnThread(_ pool: ConnectionPool<ODBCConnectionFactory>) async throws -> Int {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<3 {
                group.addTask(executorPreference: ConnectionThreadExecutor.shared) {
                    var matched = 0
                    for _ in 0..<100 {
                        let here = ctether_gettid()
                        matched += try await pool.withConnection { connection in
                            try await connection.withSession { _ in ctether_gettid() == here ? 1 : 0 }
                        }
                    }
                    return matched
                }
            }
            return try await group.reduce(0, +)
        }
    }
}
