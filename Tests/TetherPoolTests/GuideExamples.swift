// The examples in Docs/pool.md, kept here so that CI compiles and runs them.
import Testing
import TetherPool
import TetherSMTP
import TetherTestKit

/// A pool of SMTP sessions: the target is the relay's settings.
struct SMTPSessionFactory: ConnectionFactory {
    func makeConnection(to relay: SMTPConfiguration, timeout: Duration) async throws -> SMTPConnection {
        var relay = relay
        relay.timeouts.connect = timeout
        return try await SMTPConnection.connect(relay)
    }

    func close(_ connection: SMTPConnection) async {
        await connection.quit()
    }

    func validate(_ connection: SMTPConnection) async -> Bool {
        connection.isReusable
    }

    func classify(_ error: any Error) -> ConnectionFailureKind {
        guard let error = error as? SMTPError else {
            return .other
        }
        switch error.code {
        case .authenticationFailed: return .authentication
        case .connectionClosed, .timedOut: return error.kind == .ambiguous ? .outcomeUnknown : .broken
        default: return error.kind == .ambiguous ? .outcomeUnknown : .other
        }
    }

    func cancelOperation(on connection: SMTPConnection) {
        connection.close()
    }

    func reset(_ connection: SMTPConnection) async throws -> Bool {
        connection.isReusable
    }
}

@Suite("Docs/pool.md examples")
struct GuideExamples {
    @Test("the quick start borrows, swaps and shuts down")
    func quickStart() async throws {
        var configuration = PoolConfiguration()
        configuration.minimumConnections = 1
        configuration.maximumConnections = 8
        configuration.acquireTimeout = .seconds(2)
        configuration.swapDrainTimeout = .seconds(5)

        let pool = try ConnectionPool(
            factory: FakeConnectionFactory(), target: "primary", configuration: configuration)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await pool.run() }

            let target = try await pool.withConnection(idempotent: true) { connection in
                try connection.perform()
                return connection.target
            }
            #expect(target == "primary")

            let report = await pool.swap(to: "replica")
            #expect(report.generation == 2 && report.forced == 0)

            await pool.shutdown()
        }
    }

    @Test("testing with the kit: an acquire timeout on a manual clock, a hang ended by cancelling")
    func testingWithTheKit() async throws {
        let factory = FakeConnectionFactory()
        let clock = ManualClock()
        var configuration = PoolConfiguration()
        configuration.maximumConnections = 1
        configuration.acquireTimeout = .seconds(2)
        let pool = try ConnectionPool(factory: factory, target: "db", configuration: configuration, clock: clock)
        let running = Task { await pool.run() }
        let holder = Task { try await pool.withConnection { try await $0.hang() } }
        #expect(await yieldUntil { factory.connections.first?.operations == 1 })
        let late = Task { try await pool.withConnection { $0.isAlive } }
        #expect(await yieldUntil { pool.gauges.waiting == 1 })
        clock.advance(by: .seconds(2))  // the late caller's acquire timeout
        await #expect(throws: ConnectionPoolError.self) { try await late.value }
        holder.cancel()  // ends hang(); the connection goes back
        await pool.shutdown()
        await running.value
    }

    @Test(
        "a pool of SMTP sessions lends a ready session",
        .enabled(if: TestServers.current.shouldRun(.plainSMTP), Comment(rawValue: TestServers.skipMessage(.plainSMTP))))
    func smtpPool() async throws {
        let servers = TestServers.current
        var relay = SMTPConfiguration(
            host: try servers.value("TETHER_SMTP_PLAIN_HOST"), port: try servers.port("TETHER_SMTP_PLAIN_PORT"))
        relay.tls = .none
        let pool = try ConnectionPool(factory: SMTPSessionFactory(), target: relay)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await pool.run() }
            let ready = try await pool.withConnection { $0.isReusable }
            #expect(ready)
            await pool.shutdown()
        }
    }
}
