import Foundation
import Testing
import TetherODBC
import TetherPool

@Suite("Transactions opened in SQL are rolled back before the next user", .needsPostgres)
struct SQLTransactionResetTests {
    // psqlODBC wraps statements in internal savepoints and fails on a `BEGIN` inside a batch
    // ("internal SAVEPOINT failed", or 25P01 when the prepared batch runs again), so the
    // batch shapes are covered by TransactionControlTests; here `BEGIN` follows a comment.
    @Test("a BEGIN after a comment does not follow the connection back out of the pool")
    func commentedBeginInBatch() async throws {
        let table = "odbc_batch_\(UUID().uuidString.prefix(8).lowercased())"
        try await Databases.administer("CREATE TABLE \(table) (i INTEGER)")
        let configuration = PoolConfiguration.testing.with { $0.maximumConnections = 1 }
        let (first, second, seen) = try await withPool(Databases.postgres(), configuration: configuration) { pool in
            let first = try await pool.withConnection { connection in
                try await connection.withSession { session in
                    try session.execute("/* c */ BEGIN")
                    try session.execute("INSERT INTO \(table) VALUES (1)")
                    #expect(session.isInTransaction)
                    return try session.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0)
                }
            }
            let (second, seen) = try await pool.withConnection { connection in
                try await connection.withSession { session in
                    let pid = try session.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0)
                    let seen = try session.query("SELECT count(*) FROM \(table)")[0].decode(Int.self, at: 0)
                    _ = try session.query("SELECT 1")
                    return (pid, seen)
                }
            }
            #expect(try await backendState(first) == "idle")
            return (first, second, seen)
        }
        let committed = try await rowsCommitted(in: table)
        try await Databases.administer("DROP TABLE \(table)")
        #expect(first == second)
        #expect(seen == 0)
        #expect(committed == 0)
    }

    @Test("a batch that opens and commits a transaction leaves nothing to roll back")
    func committedBatch() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let open = try await connection.withSession { session in
                try session.execute("-- note\nBEGIN; SELECT 1; COMMIT")
                return session.isInTransaction
            }
            #expect(!open)
            #expect(await connection.reset())
        }
    }

    @Test("P7: a batch that fails before its COMMIT leaves the transaction open for reset, not for the next borrower")
    func batchFailingBeforeCommit() async throws {
        let table = "odbc_batch_\(UUID().uuidString.prefix(8).lowercased())"
        try await Databases.administer("CREATE TABLE \(table) (i INTEGER)")
        let configuration = PoolConfiguration.testing.with { $0.maximumConnections = 1 }
        let (open, rows, created) = try await withPool(Databases.postgres(), configuration: configuration) { pool in
            let open = try await pool.withConnection { connection in
                try await connection.withSession { session in
                    try session.execute("BEGIN")
                    try session.execute("INSERT INTO \(table) VALUES (1)")
                    // The batch stops at the division; its COMMIT never runs and the transaction is aborted.
                    #expect(throws: ODBCError.self) { try session.execute("SELECT 1/0; COMMIT") }
                    return session.isInTransaction
                }
            }
            let rows = try await pool.withConnection { connection in
                try await connection.withSession { try $0.query("SELECT i FROM \(table)").count }
            }
            return (open, rows, pool.counters.created)
        }
        try await Databases.administer("DROP TABLE \(table)")
        #expect(open)
        #expect(rows == 0)
        #expect(created == 1)
    }

    /// psqlODBC answers the `DEALLOCATE` that freeing a statement handle sends, inside a
    /// transaction opened in SQL under autocommit, by committing after the next statement. (A
    /// statement that fails there makes psqlODBC roll the whole transaction back itself.)
    @Test(
        "a statement let go inside a transaction opened in SQL does not get the transaction committed",
        arguments: ["prepared", "evicted", "uncached"])
    func statementLetGoInsideTransaction(way: String) async throws {
        var configuration = ODBCConnection.Configuration()
        configuration.statementCacheCapacity = way == "evicted" ? 1 : way == "uncached" ? 0 : 32
        try await Databases.with(Databases.postgres(), configuration: configuration) { connection in
            let rows = try await connection.withSession { session in
                try session.execute("CREATE TEMP TABLE jobs (id INTEGER)")
                try session.execute("BEGIN")
                try session.execute("INSERT INTO jobs VALUES (1)")
                switch way {
                case "prepared": _ = try session.prepare("SELECT 1").query()
                default: break  // a cache of one evicted the BEGIN; a cache of none never kept it
                }
                try session.execute("INSERT INTO jobs VALUES (2)")
                try session.execute("ROLLBACK")
                return try session.query("SELECT id FROM jobs").count
            }
            #expect(rows == 0)
        }
    }

    @Test("P7: without a statement cache a transaction opened in SQL is rolled back, not committed, on return")
    func uncachedBeginIsRolledBack() async throws {
        let table = "odbc_uncached_\(UUID().uuidString.prefix(8).lowercased())"
        try await Databases.administer("CREATE TABLE \(table) (i INTEGER)")
        var factory = ODBCConnectionFactory()
        factory.configuration.statementCacheCapacity = 0
        let configuration = PoolConfiguration.testing.with { $0.maximumConnections = 1 }
        let seen = try await withPool(Databases.postgres(), configuration: configuration, factory: factory) { pool in
            try await pool.withConnection { connection in
                try await connection.withSession { session in
                    try session.execute("BEGIN")
                    try session.execute("INSERT INTO \(table) VALUES (1)")
                    try session.execute("INSERT INTO \(table) VALUES (2)")
                }
            }
            return try await pool.withConnection { connection in
                try await connection.withSession { try $0.query("SELECT i FROM \(table)").count }
            }
        }
        let committed = try await rowsCommitted(in: table)
        try await Databases.administer("DROP TABLE \(table)")
        #expect(seen == 0)
        #expect(committed == 0)
    }

    /// The rows of `table` that another connection sees: only what was committed.
    private func rowsCommitted(in table: String) async throws -> Int {
        try await Databases.with(Databases.postgres()) { other in
            try await other.withSession { try $0.query("SELECT count(*) FROM \(table)")[0].decode(Int.self, at: 0) }
        }
    }

    /// The state of backend `pid` seen from another connection: `idle`, `idle in transaction`, ...
    private func backendState(_ pid: Int) async throws -> String? {
        try await Databases.with(Databases.postgres()) { observer in
            try await observer.withSession { session in
                try session.query("SELECT state FROM pg_stat_activity WHERE pid = ?", [.int(Int64(pid))])
                    .first?.decode(String.self, at: 0)
            }
        }
    }
}
