import Synchronization
import TetherLocking

/// Whether the database answered last time, logged once per change ("database lost", "database
/// back") however many components notice, and exported as the `database_up` gauge.
public final class DatabaseHealth: Sendable {
    static let gaugeHelp = "1 when the last database operation succeeded, 0 while it fails."

    private struct State {
        var up = true
        /// Fires when the database next comes back; replaced by a new one each time it does.
        var nextRecovery = StopSignal()
    }

    private let state = Locked(State())
    private let logger: MailerLogger
    private let metrics: MailerMetrics

    init(logger: MailerLogger, metrics: MailerMetrics) {
        self.logger = logger
        self.metrics = metrics
        metrics.setGauge("database_up", 1, help: Self.gaugeHelp)
    }

    /// Whether the last database operation succeeded.
    public var up: Bool { state.withLock { $0.up } }

    /// Fires the next time the database comes back after a failure. Taken before an operation,
    /// it tells the operation's retry that another part found the database back meanwhile.
    var nextRecovery: StopSignal { state.withLock { $0.nextRecovery } }

    /// Records a failed operation; the first after a success logs "database lost".
    func failed(_ operation: String, _ error: any Error, retryIn delay: Duration) {
        metrics.increment(.databaseErrors)
        let changed = state.withLock { state in
            defer { state.up = false }
            return state.up
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
        let recovery = state.withLock { state -> StopSignal? in
            guard !state.up else { return nil }
            state.up = true
            defer { state.nextRecovery = StopSignal() }
            return state.nextRecovery
        }
        guard let recovery else { return false }
        metrics.setGauge("database_up", 1, help: Self.gaugeHelp)
        logger.info("database_back")
        // The parts still waiting out their backoff try again now.
        recovery.fire()
        return true
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
            let recovery = health.nextRecovery
            do {
                let value = try await operation()
                databaseAnswered()
                return value
            } catch {
                failures += 1
                let delay = min(databaseBackoff(failures), longestWait ?? .seconds(Int64.max))
                health.failed(name, error, retryIn: delay)
                if await pauseBeforeRetry(delay, stop: stop, recovery: recovery) { return nil }
            }
        }
    }

    /// Runs `operation` once, for a part that tries again on its own schedule, `nextTry` from
    /// now: a failure is recorded as the database's and gives `nil`.
    func withDatabaseOnce<R: Sendable>(
        _ name: String, nextTry: Duration, _ operation: @Sendable () async throws -> R
    ) async -> R? {
        do {
            let value = try await operation()
            databaseAnswered()
            return value
        } catch {
            health.failed(name, error, retryIn: nextTry)
            return nil
        }
    }

    /// An operation succeeded: when that ends an outage, notes when, and replaces the connections.
    private func databaseAnswered() {
        if health.succeeded() {
            recoveredAt.withLock { $0 = clock.now }
            Task { await self.databaseRecovered() }
        }
    }

    /// Waits `delay`, or less once `recovery` fires (another part found the database back),
    /// but at least the backoff's first step: after an outage every part goes on within that
    /// step of the first success, not at the end of a backoff grown long during it, while a
    /// part failing on its own keeps retrying no faster than the first step.
    ///
    /// - Returns: whether `stop` fired.
    private func pauseBeforeRetry(_ delay: Duration, stop: StopSignal?, recovery: StopSignal) async -> Bool {
        // Not yet: without `stop`, a cancelled task retries with no pause (no caller cancels one today).
        let stops = stop.map { [$0] } ?? []
        let soonest = min(delay, databaseBackoff(1))
        await StopSignal.sleep(for: soonest, clock: clock, endingOnAnyOf: stops)
        if stop?.isFired == true { return true }
        if delay > soonest {
            await StopSignal.sleep(for: delay - soonest, clock: clock, endingOnAnyOf: stops + [recovery])
        }
        return stop?.isFired == true
    }
}
