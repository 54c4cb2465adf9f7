import Dispatch
import Foundation
import TetherODBC
import TetherPool
import TetherRetry
import TetherSMTP

extension ServiceRunner {
    /// The two pools, shut down together; the relay pool inside the transport that probes it.
    struct Pools: Sendable {
        let database: ConnectionPool<ODBCConnectionFactory>
        let relay: SMTPTransport

        func shutdown() async {
            await relay.pool.shutdown()
            await database.shutdown()
        }
    }

    static func databasePoolConfiguration(_ settings: DatabaseSettings) throws -> PoolConfiguration {
        var configuration = PoolConfiguration()
        configuration.creationPolicy = try ReconnectPolicy(
            baseDelay: settings.loginRetryDelay, maximumDelay: settings.loginRetryMaximumDelay)
        configuration.maximumConnections = settings.poolSize
        configuration.connectTimeout = settings.loginTimeout
        configuration.acquireTimeout = settings.loginTimeout * 2
        configuration.swapDrainTimeout = settings.swapDrainTimeout
        configuration.reconnectDrainTimeout = settings.reconnectDrainTimeout
        return configuration
    }

    static func relayPoolConfiguration(_ settings: RelaySettings) -> PoolConfiguration {
        var configuration = PoolConfiguration()
        configuration.maximumConnections = settings.connections
        configuration.connectTimeout = settings.connectTimeout
        configuration.acquireTimeout = settings.connectTimeout + settings.commandTimeout * 4 + settings.endOfDataTimeout
        configuration.idleTimeout = .seconds(60)
        configuration.swapDrainTimeout = settings.swapDrainTimeout
        configuration.reconnectDrainTimeout = settings.swapDrainTimeout
        return configuration
    }
}

/// SIGTERM and SIGINT stop the service (a second one stops it faster); SIGHUP reloads.
/// Handled with dispatch signal sources, so the handlers may do real work.
final class SignalHandlers {
    private let sources: [any DispatchSourceSignal]

    init(logger: MailerLogger, onStop: @escaping @Sendable () -> Void, onReload: @escaping @Sendable () async -> Void) {
        let queue = DispatchQueue(label: "queue-mailer.signals")
        var sources: [any DispatchSourceSignal] = []
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT"), (SIGHUP, "SIGHUP")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                logger.info("signal", ["signal": name])
                if number == SIGHUP {
                    Task { await onReload() }
                } else {
                    onStop()
                }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func cancel() {
        for source in sources { source.cancel() }
        for number in [SIGTERM, SIGINT, SIGHUP] { signal(number, SIG_DFL) }
    }
}

/// The periodic work beside the service: the metrics textfile and the terminal progress line.
final class Tickers: Sendable {
    let runner: ServiceRunner
    let store: QueueStore
    let pools: ServiceRunner.Pools
    let service: MailerService<ContinuousClock>
    let progress: Bool
    let started = ContinuousClock.now

    init(
        runner: ServiceRunner, store: QueueStore, pools: ServiceRunner.Pools, service: MailerService<ContinuousClock>,
        progress: Bool
    ) {
        self.runner = runner
        self.store = store
        self.pools = pools
        self.service = service
        self.progress = progress
    }

    func run() async {
        let metricsEvery = runner.configuration.metrics.interval
        var sinceMetrics = metricsEvery
        while !Task.isCancelled {
            if progress { await drawProgress() }
            if sinceMetrics >= metricsEvery {
                await writeMetrics()
                sinceMetrics = .zero
            }
            try? await Task.sleep(for: .milliseconds(500))
            sinceMetrics += .milliseconds(500)
        }
    }

    /// The last progress line and the final metrics, once the service has stopped.
    func finish() async {
        if progress {
            await drawProgress()
            FileHandle.standardError.write(Data("\n".utf8))
        }
        await writeMetrics(running: false)
    }

    private func drawProgress() async {
        let unfinished = (try? await store.unfinishedCount()) ?? 0
        let counts = service.counts
        var line = ProgressLine(
            done: counts.finished, total: counts.finished + unfinished, failed: counts.failed, unknown: counts.unknown,
            elapsed: .now - started)
        line.note = service.waitingNote
        FileHandle.standardError.write(Data(line.terminalText.utf8))
    }

    /// `running` is false only for the file written as the service stops, so that `status`
    /// does not report the last state of a stopped instance as its present one.
    private func writeMetrics(running: Bool = true) async {
        runner.metrics.setGauge("running", running ? 1 : 0, help: StatusReport.runningHelp)
        updateGauges(queue: try? await store.gauges())
        writeTextfile()
    }

    /// `queue` is nil when the database could not be asked: its gauges keep their last values.
    private func updateGauges(queue: QueueGauges?) {
        runner.metrics.setGauge("database_up", service.health.up ? 1 : 0, help: DatabaseHealth.gaugeHelp)
        let metrics = runner.metrics
        if let queue {
            metrics.setGauge("queue_depth", Double(queue.depth), help: "Requests ready or running in the queue.")
            metrics.setGauge(
                "oldest_ready_seconds", queue.oldestReadySeconds.rounded(), help: StatusReport.oldestReadyHelp)
        }
        metrics.setGauge("active_operations", Double(pools.relay.pool.activeOperations), help: "Sends in progress.")
        for (name, gauges) in [("database", pools.database.gauges), ("relay", pools.relay.pool.gauges)] {
            metrics.setGauge("\(name)_pool_idle", Double(gauges.idle), help: "Idle connections in the \(name) pool.")
            metrics.setGauge(
                "\(name)_pool_leased", Double(gauges.leased), help: "Leased connections in the \(name) pool.")
            metrics.setGauge(
                "\(name)_pool_waiting", Double(gauges.waiting), help: "Callers waiting on the \(name) pool.")
            metrics.setGauge(
                "\(name)_pool_generation", Double(gauges.generation), help: "The \(name) pool's generation.")
        }
    }

    private func writeTextfile() {
        guard let path = runner.configuration.metrics.textfile else { return }
        do {
            try runner.metrics.writeTextfile(to: path)
        } catch {
            runner.logger.warning("metrics_not_written", ["file": path, "error": "\(error)"])
        }
    }
}
