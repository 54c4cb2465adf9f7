import Testing
import TetherODBC
import TetherPool

/// The examples of Docs/odbc.md, kept compiling and passing.
@Suite("Docs/odbc.md examples")
struct DocExamplesTests {
    @Test("the connect string example prints no password and parses back")
    func connectStringExample() throws {
        var connectString = ODBCConnectString(
            driver: "PostgreSQL Unicode", server: "127.0.0.1", port: 5432, database: "tether",
            user: "tether", password: "s3cr;t}")
        connectString["sslmode"] = "disable"
        #expect(
            "\(connectString)"
                == "Driver=PostgreSQL Unicode;Server=127.0.0.1;Port=5432;Database=tether;"
                + "UID=tether;PWD=***;sslmode=disable"
        )
        let parsed = try ODBCConnectString(parsing: connectString.rendered)
        #expect(parsed == connectString)
    }

    @Test("the handle report example reads the process-wide environment")
    func handleReportExample() throws {
        var report: [String] = []
        let environment = try ODBCEnvironment.processWide
        if environment.connectionHandlesLeftAllocated > 0 {
            report.append("ODBC handles left allocated: \(environment.lastRefusedRelease?.description ?? "")")
        }
        #expect(report.isEmpty)
        #expect(environment.lastRefusedRelease == nil)
    }

    @Test("the session and transaction examples run on SQLite", .needsSQLite)
    func sessionExample() async throws {
        try await Databases.withSQLite { sqlite in
            let path = try #require(sqlite["Database"])
            let connection = try await ODBCConnection.connect(ODBCConnectString(driver: "SQLite3", database: path))
            let names = try await connection.withSession { session in
                try session.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, name TEXT, due DATE)")
                try session.execute(
                    "INSERT INTO jobs (name, due) VALUES (?, ?)",
                    [.text("report"), .date(ODBCDate(year: 2026, month: 12, day: 4))])
                return try session.query("SELECT name FROM jobs").map { try $0.decode(String.self, at: 0) }
            }
            #expect(names == ["report"])
            let today = ODBCDate(year: 2026, month: 12, day: 5)
            let pending = try await connection.withSession { session in
                let row = try session.queryFirst("SELECT count(*) FROM jobs WHERE due < ?", [.date(today)])
                return try row?.decode(Int.self, at: 0) ?? 0
            }
            #expect(pending == 1)
            try await connection.withSession { session in
                try session.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance TEXT)")
                try session.execute("INSERT INTO accounts VALUES (1, '20.00'), (2, '0.00')")
            }
            try await connection.withSession { session in
                try session.transaction {
                    try session.execute(
                        "UPDATE accounts SET balance = balance - ? WHERE id = ?", [.decimal("10.00"), .int(1)])
                    try session.execute(
                        "UPDATE accounts SET balance = balance + ? WHERE id = ?", [.decimal("10.00"), .int(2)])
                }
            }
            let balances = try await connection.withSession { session in
                try session.query("SELECT balance FROM accounts ORDER BY id").map { try $0.decode(Double.self, at: 0) }
            }
            await connection.close()
            #expect(balances == [10, 10])
        }
    }

    @Test("the pool example runs on SQLite", .needsSQLite)
    func poolExample() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                try await connection.withSession { session in
                    try session.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY)")
                    try session.execute("INSERT INTO jobs VALUES (1), (2)")
                }
            }
            let pool = try ConnectionPool(factory: ODBCConnectionFactory(), target: connectString)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await pool.run() }
                let count = try await pool.withConnection { connection in
                    try await connection.withSession {
                        try $0.query("SELECT count(*) FROM jobs")[0].decode(Int.self, at: 0)
                    }
                }
                #expect(count == 2)
                await pool.shutdown()
            }
        }
    }

    @Test("the connection-thread worker example runs on SQLite", .needsSQLite)
    func workerExample() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                try await connection.withSession { session in
                    try session.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY)")
                    try session.transaction {
                        for id in 0..<1_000 {
                            try session.execute("INSERT INTO jobs VALUES (?)", [.int(Int64(id))])
                        }
                    }
                }
            }
            var configuration = PoolConfiguration()
            configuration.maximumConnections = 4
            let pool = try ConnectionPool(
                factory: ODBCConnectionFactory(), target: connectString, configuration: configuration)
            async let running: Void = pool.run()
            let found = try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<4 {
                    group.addTask(executorPreference: ConnectionThreadExecutor.shared) {
                        var found = 0
                        for id in stride(from: worker, to: 1_000, by: 4) {
                            found += try await pool.withConnection { connection in
                                try await connection.withSession { session in
                                    try session.query("SELECT count(*) FROM jobs WHERE id = ?", [.int(Int64(id))])[0]
                                        .decode(Int.self, at: 0)
                                }
                            }
                        }
                        return found
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(found == 1_000)
            await pool.shutdown()
            await running
        }
    }
}
