import Testing
import TetherODBC

@Suite("ODBCConnection cancellation around the start of a statement")
struct CancelRaceTests {
    @Test(
        "a cancel fired at any moment around a statement's start ends it within seconds, never at the timeout",
        .needsPostgres)
    func cancelAroundStatementStart() async throws {
        // A query timeout far above the bound, so a cancel that was lost shows as a slow iteration.
        var configuration = ODBCConnection.Configuration()
        configuration.queryTimeout = .seconds(12)
        try await Databases.with(Databases.postgres(), configuration: configuration) { connection in
            let slow = try await cancelAtVariedDelays(connection, iterations: 200, sql: "SELECT pg_sleep(30)")
            #expect(slow.isEmpty, "\(slow.count) of 200 cancels were lost: \(slow)")
        }
    }

    @Test("a cancel fired around the start of a long SQLite query interrupts it within seconds", .needsSQLite)
    func sqliteCancelAroundStatementStart() async throws {
        // About 20 s of work here when nothing interrupts it.
        let sql =
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) SELECT count(*) FROM n"
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                let slow = try await cancelAtVariedDelays(connection, iterations: 100, sql: sql)
                #expect(slow.isEmpty, "\(slow.count) of 100 cancels were lost: \(slow)")
            }
        }
    }

    /// Starts `sql` `iterations` times and cancels it after delays from 0 to a few ms, closest
    /// where the statement starts (a few hundred µs here); returns the runs that took 4 s or more.
    private func cancelAtVariedDelays(
        _ connection: ODBCConnection, iterations: Int, sql: String
    ) async throws -> [String] {
        var slow: [String] = []
        for iteration in 0..<iterations {
            let delay = Duration.microseconds(iteration * iteration / 10)
            let started = ContinuousClock.now
            let task = Task {
                try await connection.withSession { try $0.query(sql) }
            }
            while ContinuousClock.now - started < delay {}
            task.cancel()
            let result = await task.result
            let elapsed = ContinuousClock.now - started
            if elapsed >= .seconds(4) {
                slow.append("cancel after \(delay) ended after \(elapsed)")
            }
            let error = #expect(throws: ODBCError.self) { try result.get() }
            #expect(error?.kind == .cancelled)
        }
        let one = try await connection.withSession { try $0.query("SELECT 1")[0].decode(Int.self, at: 0) }
        #expect(one == 1)
        return slow
    }
}
