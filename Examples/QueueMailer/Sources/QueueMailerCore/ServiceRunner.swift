import Foundation
import Synchronization
import TetherODBC
import TetherPool
import TetherSMTP

/// `queue-mailer run`: builds the database and relay pools and the service, runs them with
/// signal handling, metrics and progress, and shuts everything down in order.
final class ServiceRunner: Sendable {
    let configuration: MailerConfiguration
    let configFile: String?
    let logger: MailerLogger
    let metrics: MailerMetrics
    let owner: String
    /// Reload swaps of the database pool still under way: a reconnect meanwhile would supersede
    /// them and drop the new settings.
    let databaseSwapsPending = Atomic<Int>(0)
    /// A reconnect the database coming back asked for and nobody made yet: it was skipped
    /// while a reload's swap was under way, which makes it if the swap gives up.
    let reconnectSkipped = Atomic<Bool>(false)
    /// The pools' failed connection attempts, for the reason a swap gave up.
    let databaseAttempts = PoolAttempts()
    let relayAttempts = PoolAttempts()

    init(configuration: MailerConfiguration, configFile: String?, logger: MailerLogger) {
        self.configuration = configuration
        self.configFile = configFile
        self.logger = logger
        self.metrics = MailerMetrics(queue: configuration.queue.name)
        self.owner = MailerApp.ownerName(configuration)
    }

    func run(untilEmpty: Bool) async throws -> Int32 {
        let databasePool = try ConnectionPool(
            factory: ODBCConnectionFactory(), target: try configuration.database.odbcConnectString(),
            configuration: try Self.databasePoolConfiguration(configuration.database), delegate: databaseAttempts)
        let relayPool = try ConnectionPool(
            factory: SMTPSessionFactory(connector: .tcp), target: configuration.relay.smtpConfiguration(),
            configuration: Self.relayPoolConfiguration(configuration.relay), delegate: relayAttempts)
        let store = QueueStore(
            database: PooledDatabase(pool: databasePool), schema: MailerApp.schema(configuration), owner: owner,
            queueName: configuration.queue.name, lease: configuration.queue.lease)
        let pools = Pools(
            database: databasePool,
            relay: SMTPTransport(pool: relayPool, target: configuration.relay.smtpConfiguration()))
        let routing = SignalRouting()
        let signals = SignalHandlers(
            logger: logger, onStop: { routing.stop() }, onReload: { await routing.reload() })
        defer { signals.cancel() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await databasePool.run() }
            group.addTask { await relayPool.run() }
            do {
                do {
                    try await routing.startUp { try await store.requireCurrentSchema() }
                } catch {
                    guard routing.stopRequested else { throw error }
                    await pools.shutdown()
                    logger.info("stopped", ["during": "start-up"])
                    return 0
                }
                let counts = try await runService(
                    store: store, pools: pools, untilEmpty: untilEmpty, routing: routing)
                await pools.shutdown()
                logger.info(
                    "stopped",
                    [
                        "claimed": counts.claimed, "sent": counts.sent, "retried": counts.retried,
                        "failed": counts.failed, "unknown": counts.unknown, "released": counts.released,
                        "deferred": counts.deferred,
                    ])
                guard !counts.relayOutageLimitReached else {
                    let limit = DurationText.format(configuration.relay.outageLimit)
                    MailerApp.printError(
                        "the relay \(configuration.relay.host):\(configuration.relay.port) stayed unavailable "
                            + "for relay.outage_limit (\(limit)); the unsent requests are still ready")
                    return 69
                }
                return 0
            } catch {
                await pools.shutdown()
                throw error
            }
        }
    }

    private func runService(store: QueueStore, pools: Pools, untilEmpty: Bool, routing: SignalRouting) async throws
        -> MailerService<ContinuousClock>.RunCounts
    {
        let onTerminal = isatty(STDERR_FILENO) == 1 && untilEmpty
        let service = try makeService(
            store: store, transport: pools.relay, databasePool: pools.database, quiet: onTerminal)
        logger.info(
            "started",
            [
                "instance": owner, "queue": configuration.queue.name,
                "database": ConnectStringText.redacted(configuration.database.connectString),
                "relay": "\(configuration.relay.host):\(configuration.relay.port)",
                "tls": configuration.relay.tls.rawValue, "concurrency": configuration.queue.concurrency,
                "until_empty": untilEmpty,
            ])
        routing.serving(
            stop: { service.beginShutdown() }, reload: { await self.reload(pools, gate: service.relayGate) })
        let tickers = Tickers(runner: self, store: store, pools: pools, service: service, progress: onTerminal)
        let tickerTask = Task { await tickers.run() }
        let counts = await service.run(untilEmpty: untilEmpty)
        tickerTask.cancel()
        await tickerTask.value
        await tickers.finish()
        return counts
    }

    private func makeService(
        store: QueueStore, transport: SMTPTransport,
        databasePool: ConnectionPool<ODBCConnectionFactory>, quiet: Bool
    ) throws -> MailerService<ContinuousClock> {
        let sendPolicy = try configuration.retry.policy(section: "retry")
        let databasePolicy = try configuration.databaseRetry.policy(section: "database_retry")
        let probePolicy = try configuration.relayProbe.policy(section: "relay_probe")
        var relay = RelayGateSettings()
        relay.outageLimit = configuration.relay.outageLimit
        relay.probeBackoff = { RetrySettings.delay(after: $0, policy: probePolicy) }
        let classifier = OutcomeClassifier(maximumHint: configuration.retry.maximumHint) { attempt in
            RetrySettings.delay(after: attempt, policy: sendPolicy)
        }
        // Under the progress line only warnings and errors are logged, each clearing the line first.
        let serviceLogger =
            quiet
            ? MailerLogger(
                level: max(logger.level, .warning),
                sink: { line in FileHandle.standardError.write(Data("\r\u{1B}[K\(line)\n".utf8)) })
            : logger
        return MailerService(
            queue: store, transport: transport, settings: configuration.queue,
            classifier: classifier, databaseBackoff: { RetrySettings.delay(after: $0, policy: databasePolicy) },
            logger: serviceLogger, metrics: metrics, clock: ContinuousClock(),
            databaseRecovered: { [logger, self] in
                // The database came back, maybe after a failover: replace every connection,
                // unless a reload's swap still tries its new target; it replaces them all once
                // that answers, and a reconnect would throw the new settings away.
                // Asked for first, then taken back unless a swap is under way: a swap ending
                // meanwhile either finds the request or leaves it to be taken back here.
                self.reconnectSkipped.store(true, ordering: .sequentiallyConsistent)
                guard self.databaseSwapsPending.load(ordering: .sequentiallyConsistent) == 0 else {
                    logger.info("reconnect_skipped", ["reason": "a reload's database swap is under way"])
                    return
                }
                guard self.reconnectSkipped.exchange(false, ordering: .sequentiallyConsistent) else {
                    return
                }
                let report = await databasePool.reconnect()
                logger.info("reconnected", Self.fields("database", report))
            }, relay: relay)
    }

    /// A swap whose new target refused the credentials (or stayed out of reach) changed nothing:
    /// a warning, since the pool goes on with the settings it had.
    func logSwap(_ pool: String, _ report: SwapReport) {
        if report.abandoned {
            let attempts = pool == "database" ? databaseAttempts : relayAttempts
            // Without a failed attempt, the swap's caller gave up (swap_timeout) on its first.
            let cause = attempts.lastFailure(of: report.generation) ?? "no attempt had failed yet"
            logger.warning(
                "swap_abandoned",
                [
                    "pool": pool, "generation": report.generation, "duration": DurationText.format(report.duration),
                    "error": cause,
                ])
        } else if report.superseded {
            // Replaced by a later SIGHUP, a reconnect or the shutdown before it took over.
            logger.info("swap_superseded", Self.fields(pool, report))
        } else {
            logger.info("swapped", Self.fields(pool, report))
        }
    }

    static func fields(_ pool: String, _ report: SwapReport) -> KeyValuePairs<String, any Sendable> {
        [
            "pool": pool, "generation": report.generation, "drained": report.drained, "forced": report.forced,
            "duration": DurationText.format(report.duration), "superseded": report.superseded,
            "abandoned": report.abandoned,
        ]
    }
}
