import Testing
import TetherODBC
import TetherTestKit

/// PostgreSQL refuses to run a prepared statement whose result columns changed since it was
/// prepared (0A000, "cached plan must not change result type").
@Suite("Statement cache after DDL", .needsPostgres)
struct StatementCacheTests {
    @Test("a cached query whose columns changed is prepared again and run once more")
    func preparesAgainAfterDDL() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let row = try await connection.withSession { session in
                try session.execute("CREATE TEMP TABLE jobs (id INTEGER)")
                try session.execute("INSERT INTO jobs VALUES (1)")
                _ = try session.query("SELECT * FROM jobs")
                try session.execute("ALTER TABLE jobs ADD COLUMN name TEXT DEFAULT 'first'")
                return try session.query("SELECT * FROM jobs")[0]
            }
            #expect(try row.decode(Int.self, at: 0) == 1)
            #expect(try row.decode(String.self, at: 1) == "first")
        }
    }

    @Test("inside a transaction the failure is reported, and the next use prepares the query again")
    func reportsInsideATransaction() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let (error, name) = try await connection.withSession { session in
                try session.execute("CREATE TEMP TABLE jobs (id INTEGER)")
                try session.execute("INSERT INTO jobs VALUES (1)")
                _ = try session.query("SELECT * FROM jobs")
                try session.execute("ALTER TABLE jobs ADD COLUMN name TEXT DEFAULT 'first'")
                let error = #expect(throws: ODBCError.self) {
                    try session.transaction { try session.query("SELECT * FROM jobs") }
                }
                return (error, try session.query("SELECT * FROM jobs")[0].decode(String.self, at: 1))
            }
            #expect(error?.sqlState == "0A000")
            #expect(name == "first")
        }
    }

    @Test(
        "caches of 0, 1 and 2 statements run repeats, evictions, a failure, a prepared twin and DDL alike",
        arguments: [0, 1, 2])
    func smallCaches(capacity: Int) async throws {
        var configuration = ODBCConnection.Configuration()
        configuration.statementCacheCapacity = capacity
        try await Databases.with(Databases.postgres(), configuration: configuration) { connection in
            let seen = try await connection.withSession { session in
                try session.execute("CREATE TEMP TABLE jobs (id INTEGER)")
                var seen: [Int] = []
                for id in 1...3 {
                    try session.execute("INSERT INTO jobs VALUES (?)", [.int(Int64(id))])
                    seen.append(try session.query("SELECT count(*) FROM jobs")[0].decode(Int.self, at: 0))
                }
                // The failed handle is dropped; the same text then runs on a fresh one.
                #expect(throws: ODBCError.self) { try session.query("SELECT 10 / ? FROM jobs", [.int(0)]) }
                seen.append(try session.query("SELECT 10 / ? FROM jobs", [.int(5)]).count)
                // A prepared statement beside a cached one of the same text, used in turn.
                let twin = try session.prepare("SELECT count(*) FROM jobs")
                for _ in 0..<2 {
                    seen.append(try twin.query()[0].decode(Int.self, at: 0))
                    seen.append(try session.query("SELECT count(*) FROM jobs")[0].decode(Int.self, at: 0))
                }
                _ = try session.query("SELECT * FROM jobs")
                try session.execute("ALTER TABLE jobs ADD COLUMN name TEXT DEFAULT 'x'")
                seen.append(try session.query("SELECT * FROM jobs")[0].values.count)
                return seen
            }
            #expect(seen == [1, 2, 3, 3, 3, 3, 3, 3, 2])
            // The reset's ROLLBACK goes through the same cache.
            try await connection.withSession { session in
                try session.execute("BEGIN")
                try session.execute("INSERT INTO jobs (id) VALUES (4)")
            }
            #expect(await connection.reset())
            let count = try await connection.withSession {
                try $0.query("SELECT count(*) FROM jobs")[0].decode(Int.self, at: 0)
            }
            #expect(count == 3)
        }
    }
}
