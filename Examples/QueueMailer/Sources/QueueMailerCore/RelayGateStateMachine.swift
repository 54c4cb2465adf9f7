/// Whether the relay can be reached, apart from any I/O: events in, actions out.
///
/// ```
/// open --relayUnavailable--> closed --probeStarted--> probing --probeFailed--> closed
///   ^                                                    |
///   `-------------------------probeSucceeded------------'
/// ```
///
/// While the gate is closed the service claims nothing and hands claimed requests back unsent;
/// one probe at a time checks the relay, waiting `backoff(failedProbes + 1)` before each.
/// Only a successful probe opens the gate. A relay that lets probes through but fails sends
/// again within `flapWindow` of the gate opening continues the last outage's backoff instead
/// of starting it afresh, so a flapping relay is probed ever less often (up to the cap), not
/// every second. A probe event outside an outage is a bug and stops the program naming the state.
public struct RelayGateStateMachine<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// One outage: since when, why, and how the probing goes.
    public struct Outage: Sendable, Equatable {
        /// When the first relay-unavailable verdict arrived.
        public var since: Instant
        /// That verdict's reason, logged once per outage.
        public var reason: String
        /// Probes that failed in this outage.
        public var failedProbes = 0
        /// Whether a probe is running now.
        public var probing = false
        /// The relay settings changed while a probe ran: probe again without waiting.
        public var probeAgainAtOnce = false
    }

    /// Where the gate is.
    public enum State: Sendable, Equatable {
        /// The relay answers; claiming runs.
        case open
        /// The relay is unavailable; claiming waits for a probe to succeed.
        case closed(Outage)
    }

    /// The state now.
    public private(set) var state = State.open
    /// An outage starting this soon after the last one ended continues its backoff.
    public let flapWindow: Duration
    /// When the last outage ended, and how many probes it had failed.
    private var lastOutage: (ended: Instant, failedProbes: Int)?

    /// A machine in the open state; see ``flapWindow``. Defaults to 60 seconds.
    public init(flapWindow: Duration = .seconds(60)) {
        self.flapWindow = flapWindow
    }

    /// Whether claiming and sending may go on.
    public var isOpen: Bool { state == .open }

    /// How long the relay has been unavailable at `now`; `nil` while the gate is open.
    public func outage(at now: Instant) -> Duration? {
        guard case .closed(let outage) = state else { return nil }
        return outage.since.duration(to: now)
    }

    /// What the shell does after a relay-unavailable verdict.
    public enum LostAction: Sendable, Equatable {
        /// The gate was closed already.
        case none
        /// Close the gate: log the loss with `reason`, stop claiming, start probing.
        case closeGate(reason: String)
    }

    /// A send found the relay unavailable (refused, unreachable, login refused, ...).
    public mutating func relayUnavailable(reason: String, at now: Instant) -> LostAction {
        guard case .open = state else { return .none }
        var outage = Outage(since: now, reason: reason)
        if let last = lastOutage, last.ended.duration(to: now) < flapWindow {
            outage.failedProbes = last.failedProbes + 1
        }
        state = .closed(outage)
        return .closeGate(reason: reason)
    }

    /// The backoff attempt number of the next probe's wait (1 for the first); `nil` when open.
    public var nextProbeAttempt: Int? {
        guard case .closed(let outage) = state else { return nil }
        return outage.failedProbes + 1
    }

    /// The probe loop starts a probe connection.
    public mutating func probeStarted() {
        guard case .closed(var outage) = state, !outage.probing else {
            preconditionFailure("probeStarted in state \(state): probes run one at a time, only while closed")
        }
        outage.probing = true
        outage.probeAgainAtOnce = false
        state = .closed(outage)
    }

    /// What the shell does after a probe ends.
    public enum ProbeAction: Sendable, Equatable {
        /// Open the gate: log the relay back after `outage`, resume claiming.
        case openGate(outage: Duration, reason: String)
        /// Stay closed; wait `backoff(attempt)` before the next probe, or not at all if `atOnce`.
        case probeAgain(attempt: Int, atOnce: Bool)
    }

    /// The probe reached the relay and logged in.
    public mutating func probeSucceeded(at now: Instant) -> ProbeAction {
        guard case .closed(let outage) = state, outage.probing else {
            preconditionFailure("probeSucceeded in state \(state): no probe was running")
        }
        lastOutage = (now, outage.failedProbes)
        state = .open
        return .openGate(outage: outage.since.duration(to: now), reason: outage.reason)
    }

    /// The probe failed too.
    public mutating func probeFailed() -> ProbeAction {
        guard case .closed(var outage) = state, outage.probing else {
            preconditionFailure("probeFailed in state \(state): no probe was running")
        }
        outage.probing = false
        outage.failedProbes += 1
        state = .closed(outage)
        return .probeAgain(attempt: outage.failedProbes + 1, atOnce: outage.probeAgainAtOnce)
    }

    /// What the shell does after the relay settings changed (SIGHUP).
    public enum SwapAction: Sendable, Equatable {
        /// Nothing: the gate is open, or the running probe's end will start the next at once.
        case none
        /// Cut the wait short and probe the new relay now.
        case probeNow
    }

    /// SIGHUP swapped the relay pool to new settings (a fixed password, another host).
    public mutating func relaySwapped() -> SwapAction {
        guard case .closed(var outage) = state else { return .none }
        if outage.probing {
            outage.probeAgainAtOnce = true
            state = .closed(outage)
            return .none
        }
        return .probeNow
    }
}
