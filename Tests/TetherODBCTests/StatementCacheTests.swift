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
}
