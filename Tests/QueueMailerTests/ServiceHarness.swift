import Foundation
import QueueMailerCore
import Testing
import TetherODBC
import TetherPool
import TetherSMTP

/// A whole mailer instance for a test: a database pool on the fixture's database, a relay pool
/// of real SMTP sessions to a scripted relay (or a real server), and the service between them.
struct ServiceHarness {
    var queue = QueueSettings()
    var relay = RelaySettings()
    var retry = RetrySettings(baseDelay: .milliseconds(10), multiplier: 2, maximumDelay: .milliseconds(50), jitter: 0)
    var owner = "harness"
    var gate = RelayGateSettings()
    var logs = LogCapture()
    /// The instance's metrics, read by tests after the run.
    var metrics = MailerMetrics(queue: "default")

    init() {
        queue.concurrency = 4
        queue.batchSize = 8
        queue.pollInterval = .milliseconds(20)
        queue.reaperInterval = .seconds(1)
        queue.shutdownTimeout = .seconds(2)
        gate.probeBackoff = { _ in .milliseconds(50) }
        relay.tls = .none
        relay.connections = 3
        // Generous timeouts: the machine may be loaded; only M6 shortens the end-of-data wait.
        relay.connectTimeout = .seconds(10)
        relay.commandTimeout = .seconds(10)
        relay.endOfDataTimeout = .seconds(10)
    }

    /// Runs one instance against `relay` over loopback TCP (TetherSMTP's `.tcp` connector).
    func run(
        _ fixture: StoreFixture, relay scripted: ScriptedRelay, untilEmpty: Bool = true,
        during: @escaping @Sendable (MailerService<ContinuousClock>) async -> Void = { _ in }
    ) async throws -> MailerService<ContinuousClock>.RunCounts {
        var harness = self
        harness.relay.host = "127.0.0.1"
        harness.relay.port = scripted.port
        return try await harness.run(fixture, connector: .tcp, untilEmpty: untilEmpty, during: during)
    }

    /// Runs one instance until the queue is empty (or `during` asks it to stop) and returns its counts.
    func run(
        _ fixture: StoreFixture, connector: SMTPConnector, untilEmpty: Bool = true,
        during: @escaping @Sendable (MailerService<ContinuousClock>) async -> Void = { _ in }
    ) async throws -> MailerService<ContinuousClock>.RunCounts {
        var databaseConfiguration = PoolConfiguration()
        databaseConfiguration.maximumConnections = 4
        databaseConfiguration.acquireTimeout = .seconds(5)
        let databasePool = try ConnectionPool(
            factory: ODBCConnectionFactory(), target: try ODBCConnectString(parsing: fixture.connectString),
            configuration: databaseConfiguration)
        var relayConfiguration = PoolConfiguration()
        relayConfiguration.maximumConnections = relay.connections
        relayConfiguration.acquireTimeout = .seconds(10)
        let relayPool = try ConnectionPool(
            factory: SMTPSessionFactory(connector: connector), target: relay.smtpConfiguration(),
            configuration: relayConfiguration)
        let store = QueueStore(
            database: PooledDatabase(pool: databasePool), schema: fixture.schema, owner: owner,
            queueName: queue.name, lease: queue.lease)
        let policy = try retry.policy(section: "retry")
        let classifier = OutcomeClassifier(maximumHint: retry.maximumHint) {
            RetrySettings.delay(after: $0, policy: policy)
        }
        let service = MailerService(
            queue: store, transport: SMTPTransport(pool: relayPool, target: relay.smtpConfiguration()), settings: queue,
            classifier: classifier,
            databaseBackoff: { _ in .milliseconds(100) }, logger: logs.logger(),
            metrics: metrics, clock: ContinuousClock(),
            databaseRecovered: { [logs] in
                let report = await databasePool.reconnect()
                logs.logger().info("reconnected", ["generation": report.generation])
            }, relay: gate)
        return await withTaskGroup(of: Void.self) { group in
            group.addTask { await databasePool.run() }
            group.addTask { await relayPool.run() }
            group.addTask { await during(service) }
            let counts = await service.run(untilEmpty: untilEmpty)
            await relayPool.shutdown()
            await databasePool.shutdown()
            return counts
        }
    }
}

/// What every case checks afterwards: each request has one final state or is ready again,
/// every attempt has a result row, and no lease is left.
func expectQueueSettled(_ fixture: StoreFixture, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let requests = fixture.schema.requestTable
    let results = fixture.schema.resultTable
    let running = try await fixture.rows(
        "SELECT COUNT(*) FROM \(requests) WHERE state = 'running' OR lease_owner IS NOT NULL")
    #expect(running == [["0"]], "a claim or lease was left behind", sourceLocation: sourceLocation)
    let missing = try await fixture.rows(
        """
        SELECT COUNT(*) FROM \(requests) q
        WHERE q.attempt <> (SELECT COUNT(*) FROM \(results) r WHERE r.request_id = q.id)
        """)
    #expect(missing == [["0"]], "an attempt has no result row", sourceLocation: sourceLocation)
}
