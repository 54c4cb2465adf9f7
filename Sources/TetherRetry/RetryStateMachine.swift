/// The decisions of one retry loop, apart from clocks, sleeping and the operation itself.
///
/// States and the moves between them:
///
///     idle --attemptStarted--> attempting --attemptFailed--> waiting | finished
///     waiting --attemptStarted--> attempting
///     waiting --retryRefused--> finished
///     attempting --attemptSucceeded--> finished
///     idle | attempting | waiting --cancelled--> finished
///
/// Any other event traps, naming the state and the event.
struct RetryStateMachine<G: RandomNumberGenerator> {
    enum State: Equatable {
        case idle
        case attempting(Int)
        case waiting(Int)
        case finished
    }

    private(set) var state = State.idle
    private var backoff: Backoff
    private var generator: G

    init(policy: ReconnectPolicy, generator: G) {
        self.backoff = Backoff(policy: policy)
        self.generator = generator
    }

    /// The number of attempts started so far.
    var attempts: Int {
        switch state {
        case .idle: 0
        case .attempting(let attempt), .waiting(let attempt): attempt
        case .finished: finishedAttempts
        }
    }
    private var finishedAttempts = 0

    /// Returns the number of the attempt that starts now, counting from 1.
    mutating func attemptStarted() -> Int {
        switch state {
        case .idle:
            state = .attempting(1)
        case .waiting(let previous):
            state = .attempting(previous + 1)
        case .attempting, .finished:
            preconditionFailure("RetryStateMachine: attemptStarted in state \(state)")
        }
        return attempts
    }

    mutating func attemptSucceeded() {
        guard case .attempting(let attempt) = state else {
            preconditionFailure("RetryStateMachine: attemptSucceeded in state \(state)")
        }
        finish(attempt)
    }

    typealias FailureAction = RetryFailureAction

    /// An attempt failed with the classifier's `decision`, `elapsed` after the first attempt
    /// started.
    mutating func attemptFailed(_ decision: RetryDecision, elapsed: Duration) -> FailureAction {
        guard case .attempting(let attempt) = state else {
            preconditionFailure("RetryStateMachine: attemptFailed in state \(state)")
        }
        let policy = backoff.policy
        var hint: Duration?
        switch decision {
        case .stop:
            return stop(.permanent, after: attempt)
        case .retry:
            break
        case .retryAfter(let requested):
            hint = min(max(requested, .zero), policy.maximumRetryAfter)
        }
        if let maximumAttempts = policy.maximumAttempts, attempt >= maximumAttempts {
            return stop(.attemptsExhausted, after: attempt)
        }
        var delay = backoff.next(using: &generator)
        if let hint {
            delay = max(delay, hint)
        }
        if let maximumElapsed = policy.maximumElapsed {
            let remaining = maximumElapsed - elapsed
            // A server that asked us not to return before the limit would only refuse again.
            if remaining <= .zero || (hint ?? .zero) > remaining {
                return stop(.elapsedExhausted, after: attempt)
            }
            delay = min(delay, remaining)
        }
        state = .waiting(attempt)
        return .retry(after: delay)
    }

    /// The shared budget had no token for the retry just decided.
    mutating func retryRefused() -> RetryError.Reason {
        guard case .waiting(let attempt) = state else {
            preconditionFailure("RetryStateMachine: retryRefused in state \(state)")
        }
        finish(attempt)
        return .budgetExhausted
    }

    /// The task was cancelled before an attempt or while waiting for the next one.
    mutating func cancelled() -> RetryError.Reason {
        switch state {
        case .idle:
            finish(0)
        case .waiting(let attempt), .attempting(let attempt):
            finish(attempt)
        case .finished:
            preconditionFailure("RetryStateMachine: cancelled in state \(state)")
        }
        return .cancelled
    }

    private mutating func stop(_ reason: RetryError.Reason, after attempt: Int) -> FailureAction {
        finish(attempt)
        return .stop(reason)
    }

    private mutating func finish(_ attempt: Int) {
        finishedAttempts = attempt
        state = .finished
    }
}

/// What to do after a failed attempt; declared outside the generic machine so the shell's
/// helpers need not name its generator.
enum RetryFailureAction: Equatable {
    /// Take a budget token, sleep this long, then start the next attempt.
    case retry(after: Duration)
    case stop(RetryError.Reason)
}
