import Foundation
import Testing
import TetherODBC
import TetherTestKit

@Suite("ODBCConnection with PostgreSQL", .needsPostgres)
struct PostgresTests {
    @Test("connects to PostgreSQL through unixODBC and psqlODBC and runs a query")
    func connectsAndQueries() async throws {
        let dsn = try TestServers.current.value("TETHER_PG_DSN")
        let connection = try await ODBCConnection.connect(dsn)
        let version = try await connection.withSession { session in
            try session.query("SELECT version()")[0].decode(String.self, at: 0)
        }
        await connection.close()
        #expect(version.hasPrefix("PostgreSQL"))
    }

    @Test("every parameter type goes in and comes back out")
    func roundTripsEveryType() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let row = try await connection.withSession { session in
                try session.execute(
                    "CREATE TEMP TABLE t (i BIGINT, d DOUBLE PRECISION, n NUMERIC(10,2), s TEXT, b BYTEA, dt DATE, "
                        + "ts TIMESTAMP, z INTEGER)")
                try session.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)", Sample.values)
                return try session.query("SELECT i, d, n, s, b, dt, ts, z FROM t")[0]
            }
            try Sample.check(row, decimal: "12.50")
        }
    }

    @Test("booleans, NULLs and text numbers decode as asked")
    func decodesLoosely() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let row = try await connection.withSession { try $0.query("SELECT true, false, NULL::int, '42', 7.00")[0] }
            #expect(try row.decode(Bool.self, at: 0))
            #expect(try !row.decode(Bool.self, at: 1))
            #expect(try row.decode(Int?.self, at: 2) == nil)
            #expect(try row.decode(Int.self, at: 3) == 42)
            #expect(try row.decode(Int.self, at: 4) == 7)
            let error = #expect(throws: ODBCError.self) { try row.decode(Int.self, at: 2) }
            #expect(error?.kind == .decoding)
        }
    }

    @Test("row counts, and a transaction that rolls back leaves nothing behind")
    func rowCountsAndTransactions() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let (updated, count) = try await connection.withSession { session in
                try session.execute("CREATE TEMP TABLE t (i INTEGER)")
                try session.transaction {
                    for number in 1...4 {
                        try session.execute("INSERT INTO t VALUES (?)", [.int(Int64(number))])
                    }
                }
                let updated = try session.execute("UPDATE t SET i = i * 2 WHERE i >= ?", [.int(3)])
                try? session.transaction {
                    try session.execute("DELETE FROM t")
                    try session.execute("SELECT * FROM missing_table")
                }
                return (updated, try session.query("SELECT count(*) FROM t")[0].decode(Int.self, at: 0))
            }
            #expect(updated == 2)
            #expect(count == 4)
        }
    }

    @Test("a refused login is an authentication error that never shows the password")
    func wrongPassword() async throws {
        let wrong = "wrong-\(UUID().uuidString.prefix(8))"
        let error = await #expect(throws: ODBCError.self) {
            try await ODBCConnection.connect(Databases.postgres(password: wrong))
        }
        #expect(error?.kind == .authentication)
        #expect(error?.sqlState == "08001")
        let text = error.map { "\($0)" } ?? ""
        #expect(!text.contains(wrong))
        #expect(!text.contains(try Databases.password))
    }

    @Test("a login to a database or role that does not exist is refused as authentication", arguments: [true, false])
    func missingDatabaseOrRole(database: Bool) async throws {
        let missing = "tether_missing_\(UUID().uuidString.prefix(8).lowercased())"
        let target = database ? try Databases.postgres(database: missing) : try Databases.postgres(user: missing)
        let error = await #expect(throws: ODBCError.self) { try await ODBCConnection.connect(target) }
        #expect(error?.kind == .authentication, "\(String(describing: error))")
        if database {
            // A missing role gets "password authentication failed" where passwords are checked.
            #expect(error?.message.contains("does not exist") == true)
        }
    }

    @Test("a long error message cut by the driver shows no beginning of a bound value at its end")
    func longErrorMessage() async throws {
        let value = String(repeating: "s", count: 1500)
        let error = try await Databases.with(Databases.postgres()) { connection in
            await #expect(throws: ODBCError.self) {
                try await connection.withSession { try $0.execute("SELECT ?::int", [.text(value)]) }
            }
        }
        let message = error?.message ?? ""
        #expect(!message.contains("ssss"), "\(message.count) characters, ending \(message.suffix(40))")
        #expect(message.hasSuffix("***"))
    }

    @Test("a password holding ; { } = and spaces logs in, escaped by the builder")
    func specialPassword() async throws {
        let role = "odbc_special_\(UUID().uuidString.prefix(8).lowercased())"
        let password = "a;b}c{d=e f}}"
        try await Databases.administer("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'")
        let user = try await Databases.with(Databases.postgres(user: role, password: password)) { connection in
            try await connection.withSession { try $0.query("SELECT current_user")[0].decode(String.self, at: 0) }
        }
        try await Databases.administer("DROP ROLE \(role)")
        #expect(user == role)
    }

    @Test("a terminated backend is reported as a lost connection")
    func terminatedBackend() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let pid = try await connection.withSession {
                try $0.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0)
            }
            try await Databases.administer("SELECT pg_terminate_backend(\(pid))")
            let error = await #expect(throws: ODBCError.self) {
                try await connection.withSession { try $0.execute("SELECT 1") }
            }
            #expect(error?.kind == .connectionLost, "\(String(describing: error?.diagnostics))")
        }
    }
}
