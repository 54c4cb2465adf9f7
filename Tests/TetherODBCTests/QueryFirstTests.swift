import Testing
import TetherODBC

@Suite("queryFirst and a session's lifetime")
struct QueryFirstTests {
    /// Both databases, since each driver closes a cursor with rows left unread its own way.
    static func eachDatabase(_ body: (ODBCConnectString) async throws -> Void) async throws {
        try await Databases.withSQLite(body)
        try await body(Databases.postgres())
    }

    @Test("the first row of many, nil for none, and the statement runs again at once", .needsSQLite, .needsPostgres)
    func firstRowOfMany() async throws {
        try await Self.eachDatabase { connectString in
            try await Databases.with(connectString) { connection in
                let (first, none, again, afterwards) = try await connection.withSession { session in
                    try session.execute("CREATE TEMPORARY TABLE numbers (n INTEGER)")
                    for number in 1...300 {
                        try session.execute("INSERT INTO numbers VALUES (?)", [.int(Int64(number))])
                    }
                    let sql = "SELECT n, n * 2 AS doubled FROM numbers WHERE n > ? ORDER BY n"
                    let first = try session.queryFirst(sql, [.int(10)])
                    let none = try session.queryFirst(sql, [.int(300)])
                    let again = try session.queryFirst(sql, [.int(299)])
                    let afterwards = try session.query("SELECT count(*) FROM numbers")
                    return (first, none, again, afterwards)
                }
                #expect(try first?.decode(Int.self, at: 0) == 11)
                #expect(try first?.decode(Int.self, named: "doubled") == 22)
                #expect(none == nil)
                #expect(try again?.decode(Int.self, at: 0) == 300)
                #expect(try afterwards.map { try $0.decode(Int.self, at: 0) } == [300])
            }
        }
    }

    @Test("a prepared statement's queryFirst leaves it ready for the next run", .needsSQLite, .needsPostgres)
    func preparedStatement() async throws {
        try await Self.eachDatabase { connectString in
            try await Databases.with(connectString) { connection in
                let firsts = try await connection.withSession { session in
                    try session.execute("CREATE TEMPORARY TABLE letters (c TEXT)")
                    for letter in ["a", "b", "c"] {
                        try session.execute("INSERT INTO letters VALUES (?)", [.text(letter)])
                    }
                    let statement = try session.prepare("SELECT c FROM letters WHERE c >= ? ORDER BY c")
                    return try ["a", "b", "c", "d"].map { letter in
                        try statement.queryFirst([.text(letter)]).map { try $0.decode(String.self, at: 0) }
                    }
                }
                #expect(firsts == ["a", "b", "c", nil])
            }
        }
    }

    @Test("a statement without result columns gives nil, and a failing one its error", .needsSQLite)
    func noResultAndError() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                let (created, failure) = try await connection.withSession { session in
                    let created = try session.queryFirst("CREATE TABLE t (i INTEGER)")
                    return (created, Self.error { try session.queryFirst("SELECT nothing FROM t") })
                }
                #expect(created == nil)
                #expect(failure?.message.contains("nothing") == true)
            }
        }
    }

    @Test("a session kept past its withSession call refuses work, also while a later session runs", .needsSQLite)
    func sessionOutlivingItsCall() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                // Only unsafe code can keep a session: it is not Sendable, so no closure can hand it out.
                nonisolated(unsafe) var kept: ODBCSession?
                try await connection.withSession { session in kept = session }
                let outside = Self.error { try kept?.queryFirst("SELECT 1") }
                #expect(outside?.kind == .invalidArgument)
                #expect(outside?.message.contains("after its withSession call returned") == true)
                let (during, own) = try await connection.withSession { session in
                    (Self.error { try kept?.execute("SELECT 1") }, try session.queryFirst("SELECT 1"))
                }
                #expect(during?.kind == .invalidArgument)
                #expect(try own?.decode(Int.self, at: 0) == 1)
            }
        }
    }

    @Test("a statement kept past its session's withSession call refuses work", .needsSQLite)
    func statementOutlivingItsSession() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                nonisolated(unsafe) var kept: ODBCStatement?
                try await connection.withSession { session in kept = try session.prepare("SELECT 1") }
                let outside = Self.error { try kept?.queryFirst() }
                let during = try await connection.withSession { _ in Self.error { try kept?.query() } }
                kept = nil
                #expect(outside?.kind == .invalidArgument)
                #expect(during?.kind == .invalidArgument)
            }
        }
    }

    @Test("isAlive holds for a statement that answers with no rows", .needsSQLite, .needsPostgres)
    func aliveWithoutRows() async throws {
        try await Self.eachDatabase { connectString in
            try await Databases.with(connectString) { connection in
                let factory = ODBCConnectionFactory(validationQuery: "SELECT 1 WHERE 1 = 0")
                #expect(await connection.isAlive(checkingWith: "SELECT 1 WHERE 1 = 0"))
                #expect(await connection.isAlive(checkingWith: "CREATE TEMPORARY TABLE probe (i INTEGER)"))
                #expect(await factory.validate(connection))
                #expect(await !connection.isAlive(checkingWith: "SELECT nothing"))
            }
        }
    }

    @Test("an error in a later row fails queryFirst, and the statement runs again", .needsPostgres)
    func errorInALaterRow() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let failing = "SELECT 1 / (3 - n) FROM generate_series(1, 5) n"
            let (alone, inTransaction, count) = try await connection.withSession { session in
                try session.execute("CREATE TEMPORARY TABLE kept (i INTEGER)")
                let alone = Self.error { try session.queryFirst(failing) }
                try session.execute("BEGIN")
                try session.execute("INSERT INTO kept VALUES (1)")
                let inTransaction = Self.error { try session.queryFirst(failing) }
                try session.execute("ROLLBACK")
                let count = try session.queryFirst("SELECT count(*) FROM kept")?.decode(Int.self, at: 0)
                return (alone, inTransaction, count)
            }
            #expect(alone?.sqlState == "22012")
            #expect(inTransaction?.sqlState == "22012")
            #expect(count == 0)
            let next = try await connection.withSession { try $0.queryFirst("SELECT 7")?.decode(Int.self, at: 0) }
            #expect(next == 7)
        }
    }

    @Test("queryFirst sees the columns a table gained since its statement was prepared", .needsPostgres)
    func columnsChangedBetweenCalls() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let (before, after) = try await connection.withSession { session in
                try session.execute("CREATE TEMPORARY TABLE shape (a INTEGER)")
                try session.execute("INSERT INTO shape VALUES (1), (2)")
                let before = try session.queryFirst("SELECT * FROM shape ORDER BY a")
                try session.execute("ALTER TABLE shape ADD COLUMN b TEXT DEFAULT 'added'")
                return (before, try session.queryFirst("SELECT * FROM shape ORDER BY a"))
            }
            #expect(before?.columns.names == ["a"])
            #expect(after?.columns.names == ["a", "b"])
            #expect(try after?.decode(String.self, named: "b") == "added")
        }
    }

    @Test("a cancelled task stops its queryFirst, and the connection answers afterwards", .needsPostgres)
    func cancelledDuringQueryFirst() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let task = Task {
                try await connection.withSession { try $0.queryFirst("SELECT pg_sleep(5), 'first-row-cancel'") }
            }
            try await Databases.waitUntilRunning("first-row-cancel")
            task.cancel()
            let error = await #expect(throws: ODBCError.self) { try await task.value }
            #expect(error?.kind == .cancelled)
            let next = try await connection.withSession { try $0.queryFirst("SELECT 8")?.decode(Int.self, at: 0) }
            #expect(next == 8)
        }
    }

    /// The error `body` throws, or `nil` when it returns.
    private static func error(_ body: () throws -> Any?) -> ODBCError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error as? ODBCError
        }
    }
}
