import Foundation
import Testing
import TetherODBC
import TetherPool
import TetherRetry

@Suite("ODBCConnectionFactory in a ConnectionPool: failures", .needsPostgres)
struct PoolFailureTests {
    @Test("P1: after a server restart the idle connections are found dead and the next borrow succeeds")
    func restartWithIdleConnections() async throws {
        try await PrivatePostgres.with { server in
            let configuration = PoolConfiguration.testing.with {
                $0.minimumConnections = 2
                $0.maximumConnections = 2
                $0.keepAliveThreshold = .milliseconds(1)
            }
            try await withPool(server.connectString, configuration: configuration) { pool in
                async let first = pool.whoAmI()
                async let second = pool.whoAmI()
                _ = try await (first, second)
                // Both made before the restart: one still connecting through it came back alive,
                // was lent first, and nothing was found dead (seen once, on a loaded machine).
                let made = ContinuousClock.now + .seconds(10)
                while pool.gauges.idle < 2, ContinuousClock.now < made {
                    try await Task.sleep(for: .milliseconds(5))
                }
                #expect(pool.gauges.idle == 2)
                try await server.control("restart")
                do {
                    #expect(try await pool.whoAmI(idempotent: false) == "tether@tether")
                } catch {
                    // Seen once in a clean-clone run ("connection refused" after pg_ctl's wait):
                    // the server's own account goes with the failure.
                    Issue.record("the borrow after the restart failed: \(error)\nserver log:\n\(server.logTail())")
                }
                #expect(pool.counters.closed[.failedValidation, default: 0] >= 1)
            }
        }
    }

    @Test("P2: a connection whose backend was terminated fails a plain operation as outcome unknown")
    func terminatedBackendNotIdempotent() async throws {
        try await withPool(Databases.postgres(), configuration: .testing.with { $0.maximumConnections = 1 }) { pool in
            try await terminatePooledBackend(pool)
            let runs = Counter()
            let error = await #expect(throws: ConnectionPoolError.self) {
                try await pool.withConnection { connection in
                    runs.increment()
                    return try await connection.withSession { try $0.execute("SELECT 1") }
                }
            }
            #expect(error?.code == .outcomeUnknown)
            #expect((error?.underlying as? ODBCError)?.kind == .connectionLost)
            #expect(runs.count == 1)
            #expect(try await pool.whoAmI() == "tether@tether")
        }
    }

    @Test("P2: an idempotent operation on a terminated backend is retried once on a fresh connection")
    func terminatedBackendIdempotent() async throws {
        try await withPool(Databases.postgres(), configuration: .testing.with { $0.maximumConnections = 1 }) { pool in
            try await terminatePooledBackend(pool)
            let runs = Counter()
            let value = try await pool.withConnection(idempotent: true) { connection in
                runs.increment()
                return try await connection.withSession { try $0.query("SELECT 7")[0].decode(Int.self, at: 0) }
            }
            #expect(value == 7)
            #expect(runs.count == 2)
            #expect(pool.counters.closed[.broken, default: 0] == 1)
        }
    }

    @Test("P8: a non-idempotent insert that loses its connection after it was sent is not replayed")
    func insertLostAfterSend() async throws {
        let table = "odbc_p8_\(UUID().uuidString.prefix(8).lowercased())"
        try await Databases.administer("CREATE TABLE \(table) (i INTEGER)")
        try await withPool(Databases.postgres()) { pool in
            let runs = Counter()
            let error = await #expect(throws: ConnectionPoolError.self) {
                try await pool.withConnection { connection in
                    runs.increment()
                    try await connection.withSession { session in
                        try session.execute(
                            "INSERT INTO \(table) SELECT 1 FROM (SELECT pg_terminate_backend(pg_backend_pid())) AS x")
                    }
                }
            }
            #expect(error?.code == .outcomeUnknown)
            #expect(runs.count == 1)
        }
        try await Databases.administer("DROP TABLE \(table)")
    }

    @Test(
        "P3: refused port, wrong password, missing database: each fails in time with the real cause",
        arguments: ["refused", "password", "database"])
    func creationFailures(failure: String) async throws {
        let closedPort = try SilentListener(listening: false)
        defer { closedPort.close() }
        var target = try Databases.postgres()
        switch failure {
        case "refused": target["Port"] = String(closedPort.port)
        case "password": target["PWD"] = "not-the-password"
        default: target["Database"] = "odbc_missing_database"
        }
        let configuration = PoolConfiguration.testing.with {
            $0.minimumConnections = 0
            $0.connectTimeout = .seconds(2)
        }
        try await withPool(target, configuration: configuration) { pool in
            let started = ContinuousClock.now
            let error = await #expect(throws: ConnectionPoolError.self) { try await pool.whoAmI() }
            #expect(error?.code == .connectFailed)
            let cause = error?.underlying as? ODBCError
            #expect(cause?.sqlState == "08001")
            // PostgreSQL refuses a login to a database that does not exist, as it does a wrong password.
            #expect(cause?.kind == (failure == "refused" ? .connectionLost : .authentication))
            // Far below a login left without a timeout (minutes), loose for a loaded 2-core machine.
            #expect(ContinuousClock.now - started < .seconds(10))
            let password = try Databases.password
            #expect(!"\(String(describing: error))".contains(password))
        }
    }

    @Test("P3: fifty callers in a row with a wrong password make one login attempt and all get the refusal")
    func wrongPasswordHoldsOffLogins() async throws {
        var target = try Databases.postgres()
        target["PWD"] = "not-the-password"
        let configuration = PoolConfiguration.testing.with {
            $0.minimumConnections = 0
            // A hold no slow login on a loaded machine outlasts.
            $0.creationPolicy = try! ReconnectPolicy(baseDelay: .seconds(30), maximumDelay: .seconds(30))
        }
        try await withPool(target, configuration: configuration) { pool in
            for _ in 0..<50 {
                let error = await #expect(throws: ConnectionPoolError.self) { try await pool.whoAmI() }
                #expect((error?.underlying as? ODBCError)?.kind == .authentication)
            }
            #expect(pool.counters.failedAttempts == 1)
        }
    }

    @Test("P4: a server that accepts and never answers fails creation within the connect timeout and frees the slot")
    func silentServer() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        var target = try Databases.postgres()
        target["Port"] = String(listener.port)
        let configuration = PoolConfiguration.testing.with {
            $0.minimumConnections = 0
            $0.maximumConnections = 1
            $0.connectTimeout = .milliseconds(1500)
        }
        try await withPool(target, configuration: configuration) { pool in
            let started = ContinuousClock.now
            let error = await #expect(throws: ConnectionPoolError.self) { try await pool.whoAmI() }
            #expect(error?.code == .connectFailed)
            // Far below a login left without a timeout (minutes), loose for a loaded 2-core machine.
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(pool.gauges.creating == 0)
            // The driver's login to the silent server runs on until its own login timeout and
            // holds the process-wide login turn meanwhile; closing the server ends it, so the
            // login after the swap does not wait out the turn within its 1.5 s under load.
            listener.close()
            _ = await pool.swap(to: try Databases.postgres())
            #expect(try await pool.whoAmI() == "tether@tether")
        }
    }

    private func terminatePooledBackend(_ pool: ODBCPool) async throws {
        let pid = try await pool.withConnection { connection in
            try await connection.withSession { try $0.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0) }
        }
        try await Databases.administer("SELECT pg_terminate_backend(\(pid))")
    }

}
