import Testing
import TetherODBC

@Suite("ODBCConnection with SQLite", .needsSQLite)
struct SQLiteTests {
    @Test("connects to SQLite through its ODBC driver and runs a query")
    func connectsAndQueries() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                let value = try await connection.withSession { try $0.query("SELECT 1 + 1")[0].decode(Int.self, at: 0) }
                #expect(value == 2)
            }
        }
    }

    @Test("every parameter type goes in and comes back out")
    func roundTripsEveryType() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                let row = try await connection.withSession { session in
                    try session.execute(
                        "CREATE TABLE t (i INTEGER, d DOUBLE, n TEXT, s TEXT, b BLOB, dt DATE, ts TIMESTAMP, z TEXT)")
                    let inserted = try session.execute(
                        "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)", Sample.values)
                    #expect(inserted == 1)
                    return try session.query("SELECT i, d, n, s, b, dt, ts, z FROM t")[0]
                }
                try Sample.check(row, decimal: "12.50")
            }
        }
    }

    @Test("row counts report the rows an update changed")
    func rowCounts() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                let counts = try await connection.withSession { session in
                    try session.execute("CREATE TABLE t (i INTEGER)")
                    for number in 1...5 {
                        try session.execute("INSERT INTO t VALUES (?)", [.int(Int64(number))])
                    }
                    return [
                        try session.execute("UPDATE t SET i = i + 10 WHERE i > ?", [.int(2)]),
                        try session.execute("DELETE FROM t WHERE i > 100"),
                    ]
                }
                #expect(counts == [3, 0])
            }
        }
    }

    @Test("a transaction commits when its body returns and rolls back when it throws")
    func transactions() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                let count = try await connection.withSession { session in
                    try session.execute("CREATE TABLE t (i INTEGER)")
                    try session.transaction { try session.execute("INSERT INTO t VALUES (1)") }
                    #expect(throws: ODBCError.self) {
                        try session.transaction {
                            try session.execute("INSERT INTO t VALUES (2)")
                            try session.execute("INSERT INTO missing VALUES (3)")
                        }
                    }
                    #expect(session.isAutocommit)
                    return try session.query("SELECT count(*) FROM t")[0].decode(Int.self, at: 0)
                }
                #expect(count == 1)
            }
        }
    }

    @Test("an error carries SQLSTATE and message, never a bound value")
    func errorsHideBoundValues() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                let error = await #expect(throws: ODBCError.self) {
                    try await connection.withSession { session in
                        try session.execute("CREATE TABLE t (s TEXT UNIQUE)")
                        try session.execute("INSERT INTO t VALUES (?)", [.text("top-secret-value")])
                        try session.execute("INSERT INTO t VALUES (?)", [.text("top-secret-value")])
                    }
                }
                #expect(error?.sqlState?.count == 5)
                #expect(error?.kind == .other)
                #expect(error.map { !"\($0)".contains("top-secret-value") } ?? false)
            }
        }
    }
}
