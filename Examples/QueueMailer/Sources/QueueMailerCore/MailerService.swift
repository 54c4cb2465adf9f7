import Foundation
import Synchronization
import TetherChannels
import TetherLocking

/// The running mailer: claimer -> request channel -> workers -> result channel -> result writer,
/// with a heartbeat keeping its claims' leases alive and a reaper requeueing lost claims (an
/// instance died, or a claim's reply never arrived).
///
/// ``run(untilEmpty:)`` returns when the queue is empty (with `untilEmpty`) or after
/// ``beginShutdown()``: claiming stops, sends in flight get `shutdownTimeout` to finish, the
/// rest are cancelled (handed back to the queue, or recorded unknown after the end of data),
/// and every result is written before it returns. Nothing claimed is left behind.
public final class MailerService<C: Clock>: Sendable where C.Duration == Duration {
    let queue: any MailQueue
    let transport: any MailTransport
    let settings: QueueSettings
    let classifier: OutcomeClassifier
    let databaseBackoff: @Sendable (Int) -> Duration
    let logger: MailerLogger
    let metrics: MailerMetrics
    let clock: C
    /// Fired by the first ``beginShutdown()``: stop claiming.
    let shutdown = StopSignal()
    /// Fired when sends in flight must be cancelled.
    let stopSending = StopSignal()
    /// Running, draining, forcing or stopped; the signals above are its actions.
    let lifecycle = Locked(LifecycleStateMachine())
    /// Fired, and replaced by a fresh one, each time the writer has written a batch.
    let resultsWritten = Locked(StopSignal())
    let health: DatabaseHealth
    /// When the database last came back after failing, on ``clock``; nil while it never failed.
    let recoveredAt = Locked<C.Instant?>(nil)
    let progress = Locked(RunCounts())
    /// The requests claimed and not yet written back: the only leases the heartbeat renews.
    let held = Locked(Set<Int64>())
    let databaseRecovered: @Sendable () async -> Void
    /// Closed while the relay is unavailable: claiming waits, claimed requests go back unsent.
    public let relayGate: RelayGate<C>
    let relay: RelayGateSettings
    let waiting = Locked(WaitingState())

    /// Counts of this run, for the progress line and the shutdown summary.
    public struct RunCounts: Sendable, Equatable {
        public var claimed = 0
        public var sent = 0
        public var retried = 0
        public var failed = 0
        public var unknown = 0
        public var released = 0
        /// Attempts handed back because the relay was unavailable (not in ``released``).
        public var deferred = 0
        /// With `untilEmpty`: the relay stayed unavailable past the outage limit, so the run
        /// stopped with requests still ready.
        public var relayOutageLimitReached = false
        /// Requests that reached a final state (sent, failed or unknown).
        public var finished: Int { sent + failed + unknown }
    }

    /// A service working `queue` through `transport`.
    ///
    /// - Parameters:
    ///   - databaseBackoff: the wait before database retry n; retries never stop.
    ///   - databaseRecovered: called once each time the database answers again after failing
    ///     (the runner replaces the database pool's connections then).
    ///   - relay: how the relay gate probes, and how long `untilEmpty` waits for the relay.
    public init(
        queue: any MailQueue, transport: any MailTransport, settings: QueueSettings, classifier: OutcomeClassifier,
        databaseBackoff: @escaping @Sendable (Int) -> Duration, logger: MailerLogger, metrics: MailerMetrics,
        clock: C, databaseRecovered: @escaping @Sendable () async -> Void = {},
        relay: RelayGateSettings = RelayGateSettings()
    ) {
        self.queue = queue
        self.transport = transport
        self.settings = settings
        self.classifier = classifier
        self.databaseBackoff = databaseBackoff
        self.logger = logger
        self.metrics = metrics
        self.clock = clock
        self.databaseRecovered = databaseRecovered
        self.health = DatabaseHealth(logger: logger, metrics: metrics)
        self.relayGate = RelayGate(clock: clock, logger: logger, metrics: metrics)
        self.relay = relay
    }

    /// The counts so far.
    public var counts: RunCounts { progress.withLock { $0 } }

    /// Stops claiming and starts the shutdown clock; a second call cancels sends in flight at once.
    public func beginShutdown() {
        perform(lifecycle.withLock { $0.shutdownRequested() }, reason: "signal")
    }

    private func perform(_ action: LifecycleStateMachine.Action, reason: String) {
        switch action {
        case .none:
            break
        case .stopClaiming:
            logger.info("shutdown_started", ["timeout": DurationText.format(settings.shutdownTimeout)])
            shutdown.fire()
        case .cancelSends:
            logger.warning("shutdown_forced", ["reason": reason, "cancelling": "sends in flight"])
            stopSending.fire()
        }
    }

    /// Works the queue until it is empty (`untilEmpty`) or until shut down; returns the counts.
    public func run(untilEmpty: Bool = false) async -> RunCounts {
        let requests = BoundedChannel<ClaimedRequest>(capacity: settings.requestChannelCapacity)
        let results = BoundedChannel<AttemptResult>(capacity: settings.resultChannelCapacity)
        let claimingDone = StopSignal()
        let workersDone = StopSignal()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await self.claim(into: requests, untilEmpty: untilEmpty)
                claimingDone.fire()
            }
            group.addTask {
                await self.work(from: requests, into: results)
                self.lifecycle.withLock { $0.workersFinished() }
                results.close()
                workersDone.fire()
            }
            group.addTask { await self.writeResults(from: results) }
            group.addTask { await self.keepLeases(until: workersDone) }
            group.addTask { await self.reap(until: claimingDone) }
            group.addTask { await self.enforceShutdownTimeout(until: workersDone) }
            group.addTask { await self.probeRelay(until: workersDone) }
        }
        return counts
    }

    private func enforceShutdownTimeout(until workersDone: StopSignal) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.shutdown.wait() }
            group.addTask { await workersDone.wait() }
            await group.next()
            group.cancelAll()
        }
        guard !workersDone.isFired else { return }
        if await !workersDone.sleep(for: settings.shutdownTimeout, clock: clock) {
            perform(lifecycle.withLock { $0.shutdownTimeoutFired() }, reason: "shutdown timeout")
        }
    }
}
