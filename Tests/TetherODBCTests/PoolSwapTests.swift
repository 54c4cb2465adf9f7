import Foundation
import Testing
import TetherODBC
import TetherPool

@Suite("ODBCConnectionFactory in a ConnectionPool: swaps and transactions", .needsPostgres)
struct PoolSwapTests {
    @Test(
        "P7: a connection returned inside an open or aborted transaction is rolled back for the next borrower",
        arguments: ["open", "aborted", "begin"])
    func returnedInTransaction(state: String) async throws {
        let table = "odbc_p7_\(UUID().uuidString.prefix(8).lowercased())"
        try await Databases.administer("CREATE TABLE \(table) (i INTEGER)")
        try await withPool(Databases.postgres(), configuration: .testing.with { $0.maximumConnections = 1 }) { pool in
            try await pool.withConnection { connection in
                try await connection.withSession { session in
                    if state == "begin" {
                        try session.execute("BEGIN")
                    } else {
                        try session.setAutocommit(false)
                    }
                    try session.execute("INSERT INTO \(table) VALUES (1)")
                    if state == "aborted" {
                        _ = try? session.execute("SELECT * FROM missing_table")
                    }
                }
            }
            let (autocommit, rows) = try await pool.withConnection { connection in
                try await connection.withSession { session in
                    (session.isAutocommit, try session.query("SELECT i FROM \(table)").count)
                }
            }
            #expect(autocommit)
            #expect(rows == 0)
            #expect(pool.counters.created == 1)
        }
        try await Databases.administer("DROP TABLE \(table)")
    }

    @Test("P11: an operation that hangs past the drain timeout is cancelled with SQLCancel and its connection closed")
    func forcedDrain() async throws {
        let configuration = PoolConfiguration.testing.with { $0.swapDrainTimeout = .seconds(1) }
        try await withPool(Databases.postgres(), configuration: configuration) { pool in
            let hanging = Task {
                try await pool.withConnection { connection in
                    try await connection.withSession { try $0.execute("SELECT pg_sleep(60)") }
                }
            }
            while pool.activeOperations == 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(200))
            let report = await pool.swap(to: try Databases.postgres(user: TestServersAlt.user))
            #expect(report.forced == 1)
            #expect(report.duration < .seconds(10))
            let error = await #expect(throws: ODBCError.self) { try await hanging.value }
            #expect(error?.kind == .cancelled)
            #expect(error?.sqlState == "57014")
            #expect(try await pool.whoAmI() == "\(TestServersAlt.user)@tether")
        }
    }

    @Test("P11: an insert committed before a forced drain closed the connection is not run again")
    func forcedDrainBetweenSessions() async throws {
        let table = "odbc_p11_\(UUID().uuidString.prefix(8).lowercased())"
        try await Databases.administer("CREATE TABLE \(table) (i INTEGER)")
        let configuration = PoolConfiguration.testing.with {
            $0.maximumConnections = 1
            $0.swapDrainTimeout = .milliseconds(50)
        }
        try await withPool(Databases.postgres(), configuration: configuration) { pool in
            let runs = Counter()
            let operation = Task {
                try await pool.withConnection { connection in
                    guard runs.increment() == 1 else {
                        return 0  // run again: the insert is in twice
                    }
                    try await connection.withSession { try $0.execute("INSERT INTO \(table) VALUES (1)") }
                    while !connection.isClosed {
                        try await Task.sleep(for: .milliseconds(5))
                    }
                    // Throws "the connection is closed": this session sent nothing, the first did.
                    return try await connection.withSession { try $0.execute("SELECT 1") }
                }
            }
            while pool.activeOperations == 0 {
                try await Task.sleep(for: .milliseconds(5))
            }
            let report = await pool.swap(to: try Databases.postgres())
            #expect(report.forced == 1)
            let error = await #expect(throws: ConnectionPoolError.self) { try await operation.value }
            #expect(error?.code == .outcomeUnknown)
            #expect((error?.underlying as? ODBCError)?.kind == .connectionClosed)
            #expect(runs.count == 1)
            let rows = try await pool.withConnection { connection in
                try await connection.withSession { try $0.query("SELECT i FROM \(table)").count }
            }
            #expect(rows == 1)
        }
        try await Databases.administer("DROP TABLE \(table)")
    }

    @Test("a rotated password: old connections serve until the swap, new ones log in with the new password")
    func passwordRotation() async throws {
        let role = "odbc_rot_\(UUID().uuidString.prefix(8).lowercased())"
        try await Databases.administer("CREATE ROLE \(role) LOGIN PASSWORD 'first-password'")
        let first = try Databases.postgres(user: role, password: "first-password")
        let configuration = PoolConfiguration.testing.with { $0.minimumConnections = 2 }
        try await withPool(first, configuration: configuration) { pool in
            #expect(try await pool.whoAmI() == "\(role)@tether")
            try await Databases.administer("ALTER ROLE \(role) PASSWORD 'second-password'")
            #expect(try await pool.whoAmI() == "\(role)@tether")
            let refused = await #expect(throws: ODBCError.self) { try await ODBCConnection.connect(first) }
            #expect(refused?.kind == .authentication)
            let report = await pool.swap(to: try Databases.postgres(user: role, password: "second-password"))
            #expect(report.forced == 0)
            #expect(try await pool.whoAmI(idempotent: false) == "\(role)@tether")
        }
        try await Databases.administer("DROP ROLE \(role)")
    }

    @Test("a swap to a mistyped password is abandoned: the pool keeps serving with the credentials it has")
    func swapToWrongPassword() async throws {
        let configuration = PoolConfiguration.testing.with { $0.minimumConnections = 2 }
        try await withPool(Databases.postgres(), configuration: configuration) { pool in
            #expect(try await pool.whoAmI() == "tether@tether")
            let report = await pool.swap(to: try Databases.postgres(password: "not-the-password"))
            #expect(report.abandoned)
            #expect(pool.gauges.generation == 1)
            #expect(try await pool.whoAmI(idempotent: false) == "tether@tether")
            #expect(pool.counters.closed[.retired, default: 0] == 0)
        }
    }

    @Test("a dropped database: operations fail with the real cause until the pool swaps to a database that exists")
    func droppedDatabase() async throws {
        let database = "odbc_drop_\(UUID().uuidString.prefix(8).lowercased())"
        try await Databases.administer("CREATE DATABASE \(database)")
        let configuration = PoolConfiguration.testing.with {
            $0.minimumConnections = 0
            $0.connectTimeout = .seconds(2)
        }
        try await withPool(Databases.postgres(database: database), configuration: configuration) { pool in
            #expect(try await pool.whoAmI() == "tether@\(database)")
            try await Databases.administer("DROP DATABASE \(database) WITH (FORCE)")
            let error = await #expect(throws: ConnectionPoolError.self) { try await pool.whoAmI() }
            #expect(error?.code == .connectFailed)
            #expect((error?.underlying as? ODBCError)?.message.contains("does not exist") == true)
            _ = await pool.swap(to: try Databases.postgres())
            #expect(try await pool.whoAmI() == "tether@tether")
        }
    }

    @Test("hot swap under load: 16 tasks query while the pool swaps roles and databases ten times, none fails")
    func hotSwapUnderLoad() async throws {
        let targets = try Databases.swapTargets()
        let configuration = PoolConfiguration.testing.with {
            $0.minimumConnections = 4
            $0.maximumConnections = 8
        }
        let failures = Counter()
        let operations = Counter()
        try await withPool(targets[0], configuration: configuration) { pool in
            try await withThrowingTaskGroup(of: Void.self) { group in
                let stop = Counter()
                for _ in 0..<16 {
                    group.addTask {
                        while stop.count == 0 {
                            do {
                                _ = try await pool.whoAmI(idempotent: false)
                                operations.increment()
                            } catch {
                                failures.increment()
                                Issue.record("an operation failed during a swap: \(error)")
                            }
                        }
                    }
                }
                var reports: [SwapReport] = []
                for round in 1...10 {
                    try await Task.sleep(for: .milliseconds(100))
                    reports.append(await pool.swap(to: targets[round % targets.count]))
                }
                stop.increment()
                try await group.waitForAll()
                #expect(reports.allSatisfy { $0.forced == 0 })
            }
            let last = targets[10 % targets.count]
            #expect(try await pool.whoAmI() == "\(last["UID"] ?? "")@\(last["Database"] ?? "")")
        }
        #expect(failures.count == 0)
        #expect(operations.count > 100)
    }
}

/// The second role and database of the throwaway server.
enum TestServersAlt {
    static var user: String { (try? Databases.servers.value("TETHER_PG_ALT_USER")) ?? "tether_alt" }
    static var database: String { (try? Databases.servers.value("TETHER_PG_ALT_DATABASE")) ?? "tether_alt" }
}
