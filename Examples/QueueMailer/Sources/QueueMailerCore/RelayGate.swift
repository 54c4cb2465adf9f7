import Synchronization
import TetherLocking

/// The relay gate's shell: a ``RelayGateStateMachine`` under a lock, acting after unlocking.
///
/// Logs `relay_lost` (with the reason, once per outage) and `relay_back` (with the outage's
/// length) at info, and keeps the `relay_up` gauge. Waiters use one-way signals: `opened`
/// fires when the gate opens, `lost` when it closes, `kick` when a SIGHUP asks for a probe now.
public final class RelayGate<C: Clock>: Sendable where C.Duration == Duration {
    static var gaugeHelp: String { "1 while the relay answers, 0 while the gate is closed (relay unavailable)." }

    private struct State: Sendable {
        var machine = RelayGateStateMachine<C.Instant>()
        var opened = StopSignal()
        var lost = StopSignal()
        var kick = StopSignal()
    }

    private let state: Locked<State>
    private let clock: C
    private let logger: MailerLogger
    private let metrics: MailerMetrics

    init(clock: C, logger: MailerLogger, metrics: MailerMetrics) {
        let initial = State()
        initial.opened.fire()
        self.state = Locked(initial)
        self.clock = clock
        self.logger = logger
        self.metrics = metrics
        metrics.setGauge("relay_up", 1, help: Self.gaugeHelp)
    }

    /// Whether claiming and sending may go on.
    public var isOpen: Bool { state.withLock { $0.machine.isOpen } }

    /// How long the relay has been unavailable; `nil` while it answers.
    public var outage: Duration? {
        let now = clock.now
        return state.withLock { $0.machine.outage(at: now) }
    }

    /// The reason the gate closed, while it is closed.
    var reason: String? {
        state.withLock { state in
            guard case .closed(let outage) = state.machine.state else { return nil }
            return outage.reason
        }
    }

    /// A send found the relay unavailable: the first such verdict closes the gate.
    func relayUnavailable(_ reason: String) {
        let now = clock.now
        let (action, lost) = state.withLock { state in
            let action = state.machine.relayUnavailable(reason: reason, at: now)
            if case .closeGate = action { state.opened = StopSignal() }
            return (action, state.lost)
        }
        guard case .closeGate(let reason) = action else { return }
        metrics.setGauge("relay_up", 0, help: Self.gaugeHelp)
        logger.info("relay_lost", ["reason": reason, "claiming": "paused"])
        lost.fire()
    }

    /// SIGHUP swapped the relay settings: a closed gate probes the new relay at once.
    func relaySwapped() {
        let (action, kick) = state.withLock { ($0.machine.relaySwapped(), $0.kick) }
        if action == .probeNow { kick.fire() }
    }

    /// Returns `true` once the gate is open, or `false` when `stop` fires or `limit` passes first.
    func waitUntilOpen(stop: StopSignal, limit: Duration? = nil) async -> Bool {
        let opened = state.withLock { $0.opened }
        if opened.isFired { return true }
        await Self.wait(for: opened, or: stop, limit: limit, clock: clock)
        return opened.isFired
    }

    /// Returns `true` once the gate is closed, or `false` when `stop` fires first.
    func waitUntilClosed(stop: StopSignal) async -> Bool {
        let lost = state.withLock { $0.lost }
        await Self.wait(for: lost, or: stop, limit: nil, clock: clock)
        return lost.isFired && !stop.isFired
    }

    /// The attempt number of the next probe's backoff and the signal that cuts the wait short;
    /// `nil` once the gate is open.
    func nextProbe() -> (attempt: Int, kick: StopSignal)? {
        state.withLock { state in state.machine.nextProbeAttempt.map { ($0, state.kick) } }
    }

    /// Runs one probe: `probe` returns `nil` when the relay answered, or why it did not.
    ///
    /// - Returns: whether to probe again at once (the settings changed during the probe).
    func probe(_ probe: () async -> String?) async -> Bool {
        state.withLock { state in
            state.machine.probeStarted()
            if state.kick.isFired { state.kick = StopSignal() }
        }
        let failure = await probe()
        let now = clock.now
        let (action, opened) = state.withLock { state in
            let action = failure == nil ? state.machine.probeSucceeded(at: now) : state.machine.probeFailed()
            if case .openGate = action { state.lost = StopSignal() }
            return (action, state.opened)
        }
        switch action {
        case .openGate(let outage, let reason):
            metrics.setGauge("relay_up", 1, help: Self.gaugeHelp)
            logger.info("relay_back", ["outage": DurationText.format(outage), "was": reason, "claiming": "resumed"])
            opened.fire()
            return false
        case .probeAgain(let attempt, let atOnce):
            logger.debug("relay_probe_failed", ["probes": attempt - 1, "error": failure ?? "-"])
            return atOnce
        }
    }

    /// Waits until `signal` or `stop` fires, or `limit` passes.
    static func wait(for signal: StopSignal, or stop: StopSignal, limit: Duration?, clock: C) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await signal.wait() }
            group.addTask { await stop.wait() }
            if let limit { group.addTask { try? await clock.sleep(for: limit) } }
            await group.next()
            group.cancelAll()
        }
    }
}
