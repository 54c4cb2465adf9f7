import Testing
import TetherODBC
import TetherTestKit

/// PostgreSQL refuses to run a prepared statement whose result columns changed since it was
/// prepared (0A000, "cached plan must not change result type"). The change comes from another
/// connection: DDL run on the same connection forgets its cached statements first.
@Suite("Statement cache after DDL", .needsPostgres)
struct StatementCacheTests {
    /// A table of one row (id 1) made for the test and dropped after it, and the DDL that adds
    /// a column `name` (default 'first') to it.
    private static func withJobsTable(_ body: (_ table: String, _ addName: String) async throws -> Void)
        async throws
    {
        let table = "jobs_\(UInt32.random(in: 0...UInt32.max))"
        try await Databases.administer("CREATE TABLE \(table) (id INTEGER)", "INSERT INTO \(table) VALUES (1)")
        do {
            try await body(table, "ALTER TABLE \(table) ADD COLUMN name TEXT DEFAULT 'first'")
        } catch {
            try? await Databases.administer("DROP TABLE \(table)")
            throw error
        }
        try await Databases.administer("DROP TABLE \(table)")
    }

    @Test("a cached query whose columns another connection changed is prepared again and run once more")
    func preparesAgainAfterDDL() async throws {
        try await Self.withJobsTable { table, addName in
            try await Databases.with(Databases.postgres()) { connection in
                _ = try await connection.withSession { try $0.query("SELECT * FROM \(table)") }
                try await Databases.administer(addName)
                let row = try await connection.withSession { try $0.query("SELECT * FROM \(table)")[0] }
                #expect(try row.decode(Int.self, at: 0) == 1)
                #expect(try row.decode(String.self, at: 1) == "first")
            }
        }
    }

    @Test("a cached query that names its columns reads them the same after another connection added one")
    func namedColumnsAfterDDL() async throws {
        try await Self.withJobsTable { table, addName in
            try await Databases.with(Databases.postgres()) { connection in
                let query = "SELECT id FROM \(table) WHERE id = ?"
                for _ in 0..<2 {
                    _ = try await connection.withSession { try $0.queryFirst(query, [.int(1)]) }
                }
                try await Databases.administer(addName)
                let row = try await connection.withSession { try $0.queryFirst(query, [.int(1)]) }
                #expect(row?.values == [.int(1)])
                #expect(row?.columns.names == ["id"])
                // A query with `*` still sees the new column, on the same connection.
                let all = try await connection.withSession { try $0.query("SELECT * FROM \(table)")[0] }
                #expect(all.columns.names == ["id", "name"])
            }
        }
    }

    @Test("inside a transaction the failure is reported, and the next use prepares the query again")
    func reportsInsideATransaction() async throws {
        try await Self.withJobsTable { table, addName in
            try await Databases.with(Databases.postgres()) { connection in
                _ = try await connection.withSession { try $0.query("SELECT * FROM \(table)") }
                try await Databases.administer(addName)
                let (error, name) = try await connection.withSession { session in
                    let error = #expect(throws: ODBCError.self) {
                        try session.transaction { try session.query("SELECT * FROM \(table)") }
                    }
                    return (error, try session.query("SELECT * FROM \(table)")[0].decode(String.self, at: 1))
                }
                #expect(error?.sqlState == "0A000")
                #expect(name == "first")
            }
        }
    }

    @Test("DDL on the connection itself forgets its cached statements: no failed first run after it")
    func ownDDLForgetsTheCache() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let (name, names) = try await connection.withSession { session in
                try session.execute("CREATE TEMP TABLE jobs (id INTEGER)")
                try session.execute("INSERT INTO jobs VALUES (1)")
                _ = try session.query("SELECT * FROM jobs")
                try session.execute("ALTER TABLE jobs ADD COLUMN name TEXT DEFAULT 'first'")
                let name = try session.transaction {
                    try session.query("SELECT * FROM jobs")[0].decode(String.self, at: 1)
                }
                return (name, try session.query("SELECT * FROM jobs")[0].columns.names)
            }
            #expect(name == "first")
            #expect(names == ["id", "name"])
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

    @Test("DDL undone by ABORT leaves the cached statements usable")
    func schemaChangeAborted() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let names = try await connection.withSession { session in
                try session.execute("CREATE TEMPORARY TABLE shape (a INTEGER)")
                try session.execute("INSERT INTO shape VALUES (1)")
                try session.execute("BEGIN")
                try session.execute("ALTER TABLE shape ADD COLUMN b TEXT DEFAULT 'x'")
                #expect(try session.query("SELECT * FROM shape")[0].columns.names == ["a", "b"])
                try session.execute("ABORT")
                try session.execute("BEGIN")
                let names = try session.query("SELECT * FROM shape")[0].columns.names
                try session.execute("COMMIT")
                return names
            }
            #expect(names == ["a"])
        }
    }
}

@Suite("SQLite statements after DDL", .needsSQLite)
struct SQLiteDDLTests {
    @Test("a table dropped and made again with other columns is read with its new columns")
    func tableMadeAgain() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                let (before, after) = try await connection.withSession { session in
                    try session.execute("CREATE TABLE t (a INTEGER)")
                    try session.execute("INSERT INTO t VALUES (1)")
                    let before = try session.query("SELECT * FROM t")
                    try session.execute("DROP TABLE t")
                    try session.execute("CREATE TABLE t (b TEXT, c INTEGER)")
                    try session.execute("INSERT INTO t VALUES ('hello', 2)")
                    return (before, try session.query("SELECT * FROM t"))
                }
                #expect(before.map(\.values) == [[.int(1)]])
                #expect(after.first?.columns.names == ["b", "c"])
                #expect(after.map(\.values) == [[.text("hello"), .int(2)]])
            }
        }
    }

    @Test(
        "DDL rolled back (the transaction, to a savepoint, through ODBC) leaves no statement reading its columns",
        arguments: ["ROLLBACK", "ROLLBACK TO before", "rollback()", "INSERT OR ROLLBACK INTO u VALUES (1)"])
    func schemaChangeRolledBack(rollback: String) async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                let (during, after) = try await connection.withSession { session in
                    try session.execute("CREATE TABLE t (a INTEGER, b INTEGER)")
                    try session.execute("INSERT INTO t VALUES (1, 2)")
                    try session.execute("CREATE TABLE u (id INTEGER PRIMARY KEY)")
                    try session.execute("INSERT INTO u VALUES (1)")
                    if rollback == "rollback()" {
                        try session.setAutocommit(false)
                    } else {
                        try session.execute("BEGIN")
                    }
                    try session.execute("SAVEPOINT before")
                    try session.execute("ALTER TABLE t ADD COLUMN d INTEGER DEFAULT 9")
                    let during = try session.query("SELECT * FROM t")
                    if rollback == "rollback()" {
                        try session.rollback()
                        try session.setAutocommit(true)
                    } else if rollback.hasPrefix("INSERT") {
                        // Fails on the key, and rolls back the whole transaction as it does.
                        #expect(throws: ODBCError.self) { try session.execute(rollback) }
                    } else {
                        try session.execute(rollback)
                    }
                    let after = try session.query("SELECT * FROM t")
                    if rollback == "ROLLBACK TO before" {
                        try session.execute("COMMIT")
                    }
                    return (during, after)
                }
                #expect(during.first?.columns.names == ["a", "b", "d"])
                #expect(after.first?.columns.names == ["a", "b"], "\(rollback)")
                #expect(after.map(\.values) == [[.int(1), .int(2)]])
            }
        }
    }
}
