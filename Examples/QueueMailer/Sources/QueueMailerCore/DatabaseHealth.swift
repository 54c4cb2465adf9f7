import Synchronization
import TetherLocking

/// Whether the database answered last time, logged once per change ("database lost", "database
/// back") however many components notice, and exported as the `database_up` gauge.
public final class DatabaseHealth: Sendable {
    static let gaugeHelp = "1 when the last database operation succeeded, 0 while it fails."
    private let isUp = Locked(true)
    private let logger: MailerLogger
    private let metrics: MailerMetrics

    init(logger: MailerLogger, metrics: MailerMetrics) {
        self.logger = logger
        self.metrics = metrics
        metrics.setGauge("database_up", 1, help: Self.gaugeHelp)
    }

    /// Whether the last database operation succeeded.
    public var up: Bool { isUp.withLock { $0 } }

    /// Records a failed operation; the first after a success logs "database lost".
    func failed(_ operation: String, _ error: any Error, retryIn delay: Duration) {
        metrics.increment(.databaseErrors)
        let changed = isUp.withLock { up in
            defer { up = false }
            return up
        }
        if changed {
            metrics.setGauge("database_up", 0, help: Self.gaugeHelp)
            logger.error("database_lost", ["operation": operation, "error": "\(error)"])
        } else {
            logger.debug(
                "database_retry",
                ["operation": operation, "retry_in": DurationText.format(delay), "error": "\(error)"])
        }
    }

    /// Records a successful operation; the first after a failure logs "database back".
    ///
    /// - Returns: whether the database just came back.
    @discardableResult
    func succeeded() -> Bool {
        let changed = isUp.withLock { up in
            defer { up = true }
            return !up
        }
        if changed {
            metrics.setGauge("database_up", 1, help: Self.gaugeHelp)
            logger.info("database_back")
        }
        return changed
    }
}

extension MailerService {
    /// Runs `operation` until it succeeds, waiting with the database backoff between tries
    /// (never longer than `longestWait`), forever unless `stop` fires (then returns `nil`).
    func withDatabase<R: Sendable>(
        _ name: String, stop: StopSignal? = nil, longestWait: Duration? = nil,
        _ operation: @Sendable () async throws -> R
    ) async -> R? {
        var failures = 0
        while true {
            do {
                let value = try await operation()
                if health.succeeded() {
                    recoveredAt.withLock { $0 = clock.now }
                    Task { await self.databaseRecovered() }
                }
                return value
            } catch {
                failures += 1
                let delay = min(databaseBackoff(failures), longestWait ?? .seconds(Int64.max))
                health.failed(name, error, retryIn: delay)
                if let stop {
                    if await stop.sleep(for: delay, clock: clock) { return nil }
                } else {
                    try? await clock.sleep(for: delay)
                }
            }
        }
    }
}
