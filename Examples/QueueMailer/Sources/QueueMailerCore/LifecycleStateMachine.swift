/// The running service's lifecycle, apart from any I/O: events in, actions out.
///
/// ```
/// running --shutdownRequested--> draining --shutdownRequested / shutdownTimeoutFired--> forcing
///    \                              \                                                     /
///     `--------------------------workersFinished---------------------------------> stopped
/// ```
///
/// `draining` stops claiming and lets sends in flight finish; `forcing` cancels them. Every
/// state may move to `stopped` when the workers are done. A shutdown timeout can only fire
/// while draining (the timer starts there); anywhere else it is a bug and stops the program
/// naming the state.
public struct LifecycleStateMachine: Sendable, Equatable {
    /// Where the service is.
    public enum State: Sendable, Equatable {
        case running
        case draining
        case forcing
        case stopped
    }

    /// The state now.
    public private(set) var state = State.running

    public init() {}

    /// What the shell does after an event.
    public enum Action: Sendable, Equatable {
        /// Nothing.
        case none
        /// Stop claiming and start the shutdown timer.
        case stopClaiming
        /// Cancel the sends in flight.
        case cancelSends
    }

    /// SIGTERM or SIGINT arrived (or a caller asked to stop).
    public mutating func shutdownRequested() -> Action {
        switch state {
        case .running:
            state = .draining
            return .stopClaiming
        case .draining:
            state = .forcing
            return .cancelSends
        case .forcing, .stopped:
            return .none
        }
    }

    /// The shutdown timeout passed with sends still in flight.
    public mutating func shutdownTimeoutFired() -> Action {
        switch state {
        case .draining:
            state = .forcing
            return .cancelSends
        case .forcing, .stopped:
            return .none
        case .running:
            preconditionFailure("shutdown timeout fired in state \(state): the timer starts only when draining")
        }
    }

    /// Every worker has finished.
    public mutating func workersFinished() {
        state = .stopped
    }
}
