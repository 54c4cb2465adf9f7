/// The life of one SMTP connection as a state machine: whether it may carry the next
/// message, and what must happen first. No I/O; instants come in as event arguments.
///
/// `establishing -> idle <-> busy`, and from any state to `broken` or `closed`. A
/// connection that timed out, was cancelled or failed mid-transaction goes to `broken`
/// and never back to `idle`.
struct ConnectionStateMachine {
    enum State {
        case establishing
        case idle(since: ContinuousClock.Instant, sent: Int, needsReset: Bool)
        case busy(sent: Int)
        case broken(String)
        case closed
    }

    private(set) var state: State = .establishing
    let maximumMessages: Int
    let idleCheckInterval: Duration

    init(maximumMessages: Int, idleCheckInterval: Duration) {
        self.maximumMessages = maximumMessages
        self.idleCheckInterval = idleCheckInterval
    }

    /// The greeting, TLS, EHLO and AUTH succeeded.
    mutating func established(at now: ContinuousClock.Instant) {
        guard case .establishing = state else { preconditionFailure("established in state \(state)") }
        state = .idle(since: now, sent: 0, needsReset: false)
    }

    /// What a send must do before its first command.
    enum SendAction: Equatable {
        /// The connection is ready: start the transaction.
        case proceed
        /// RSET first: the previous transaction was left open.
        case resetFirst
        /// NOOP first: the connection sat idle past the check interval.
        case checkFirst
        /// The connection may not be used; `reason` says why.
        case unusable(String)
    }

    /// A message is to be sent now.
    mutating func sendRequested(at now: ContinuousClock.Instant) -> SendAction {
        switch state {
        case .idle(let since, let sent, let needsReset):
            if sent >= maximumMessages { return .unusable("it sent its maximum of \(maximumMessages) messages") }
            state = .busy(sent: sent)
            if needsReset { return .resetFirst }
            return now - since >= idleCheckInterval ? .checkFirst : .proceed
        case .busy: return .unusable("another send is in progress on it")
        case .broken(let reason): return .unusable(reason)
        case .closed: return .unusable("it is closed")
        case .establishing: preconditionFailure("sendRequested in state \(state)")
        }
    }

    /// The transaction ended with a final reply (accepted or refused); the connection is
    /// idle again. `needsReset` when it ended with the transaction still open.
    mutating func transactionEnded(at now: ContinuousClock.Instant, counted: Bool, needsReset: Bool) {
        // `close()` from another task may win the race against the final reply.
        if case .closed = state { return }
        guard case .busy(let sent) = state else { preconditionFailure("transactionEnded in state \(state)") }
        state = .idle(since: now, sent: sent + (counted ? 1 : 0), needsReset: needsReset)
    }

    /// The connection failed (timeout, cancellation, reset, 421, protocol error): it is
    /// never used again.
    mutating func failed(_ reason: String) {
        if case .closed = state { return }
        state = .broken(reason)
    }

    /// Whether QUIT may still be sent.
    var canQuit: Bool {
        if case .idle = state { return true }
        return false
    }

    /// Whether an idle connection can take another message.
    var isReusable: Bool {
        if case .idle(_, let sent, _) = state { return sent < maximumMessages }
        return false
    }

    /// How many more messages the connection may carry, counting one in progress.
    var remainingMessages: Int {
        switch state {
        case .idle(_, let sent, _), .busy(let sent): return maximumMessages - sent
        case .establishing, .broken, .closed: return 0
        }
    }

    /// The connection closed.
    mutating func closed() { state = .closed }
}
