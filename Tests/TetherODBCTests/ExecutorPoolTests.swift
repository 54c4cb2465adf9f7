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
            // One task at a time: tasks running side by side on two busy cores can settle on
            // each other's threads for a while (a session that ends before its caller suspends
            // leaves the caller where it was), which says nothing about the pool's marks. Each
            // task starts on an idle connection thread, most often not that of the connection
            // used last: without the marks it would get the one used last. A task that starts
            // on another suite's connection thread may stay there (the same cause): such a
            // round tells nothing, and another is run, until three rounds could tell.
            var borrows: [(onConnectionThread: Int, matched: Int)] = []
            for _ in 0..<12 where borrows.count(where: { $0.onConnectionThread >= 90 }) < 3 {
                borrows.append(try await borrowOnOwnThread(pool, tasks: 1))
            }
            await pool.shutdown()
            await running
            #expect(borrows.allSatisfy { $0.matched == $0.onConnectionThread }, "\(borrows)")
            #expect(borrows.count(where: { $0.onConnectionThread >= 90 }) >= 3, "\(borrows)")
        }
    }

    private func pool(_ connectString: ODBCConnectString) throws -> ConnectionPool<ODBCConnectionFactory> {
        var configuration = PoolConfiguration()
        configuration.minimumConnections = 3
        configuration.maximumConnections = 3
        return try ConnectionPool(factory: ODBCConnectionFactory(), target: connectString, configuration: configuration)
    }

    /// The threads of the pool's three connections, borrowed all at once.
    private func threadsOfConnections(in pool: ConnectionPool<ODBCConnectionFactory>) async throws -> Set<Int32> {
        try await pool.withConnection { a in
            try await pool.withConnection { b in
                try await pool.withConnection { c in Set([a, b, c].map(\.threadID)) }
            }
        }
    }

    /// Of `tasks` × 100 borrows by preferring tasks: how many were made on a thread of one of
    /// the pool's connections, and how many of those got that thread's connection. Suites
    /// running beside this one have connection threads too, where a task may start.
    private func borrowOnOwnThread(
        _ pool: ConnectionPool<ODBCConnectionFactory>, tasks: Int = 3
    ) async throws -> (onConnectionThread: Int, matched: Int) {
        let borrows = try await withThrowingTaskGroup(of: [(here: Int32, there: Int32)].self) { group in
            for _ in 0..<tasks {
                group.addTask(executorPreference: ConnectionThreadExecutor.shared) {
                    var borrows: [(here: Int32, there: Int32)] = []
                    for _ in 0..<100 {
                        let here = ctether_gettid()
                        let there = try await pool.withConnection { connection in
                            try await connection.withSession { _ in ctether_gettid() }
                        }
                        borrows.append((here, there))
                    }
                    return borrows
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let poolThreads = try await threadsOfConnections(in: pool)
        let onPoolThread = borrows.filter { poolThreads.contains($0.here) }
        return (onPoolThread.count, onPoolThread.filter { $0.here == $0.there }.count)
    }
}
