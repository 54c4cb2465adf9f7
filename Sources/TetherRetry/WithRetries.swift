/// Runs `operation` until it succeeds or `policy` says to stop.
///
/// Between attempts it sleeps on `clock` for the policy's delay; cancelling the calling task
/// ends the sleep at once and no further attempt starts. Each failure goes to `classify`:
/// ``RetryDecision/stop`` ends the loop at once, ``RetryDecision/retryAfter(_:)`` waits at
/// least the (clamped) hint. With a `budget`, every retry takes a token before its wait and
/// the loop stops at once when none is left. `observe` sees every attempt, successful or not.
///
/// ```swift
/// let session = try await withRetries(.default, classify: { error in
///     error is BadCredentials ? .stop : .retry
/// }) { attempt in
///     try await server.connect()
/// }
/// ```
///
/// - Parameters:
///   - policy: delays and limits.
///   - clock: where time is measured and slept; a manual clock in tests.
///   - budget: a token bucket shared with other callers, or `nil` for none.
///   - random: the source of jitter.
///   - classify: the decision for each failure. Defaults to retrying every failure.
///   - observe: called after each attempt, on the calling task; keep it short.
///   - operation: one attempt; it receives the attempt number, counting from 1. With an
///     ``ReconnectPolicy/attemptTimeout`` it runs in a child task and is cancelled when
///     the time is up; the loop waits for it to return.
/// - Returns: the first successful result.
/// - Throws: ``RetryError`` saying why it stopped, after how many attempts, with the last
///   failure unchanged in ``RetryError/underlying``.
public func withRetries<C: Clock, R: Sendable>(
    _ policy: ReconnectPolicy,
    clock: C = ContinuousClock(),
    budget: RetryBudget? = nil,
    random: some RandomNumberGenerator = SystemRandomNumberGenerator(),
    classify: @Sendable (any Error) -> RetryDecision = RetryDecision.retryEverything,
    observe: @Sendable (RetryAttempt) -> Void = { _ in },
    operation: @escaping @Sendable (_ attempt: Int) async throws -> R
) async throws(RetryError) -> R where C.Duration == Duration {
    var machine = RetryStateMachine(policy: policy, generator: random)
    let start = clock.now
    var lastError: (any Error)?
    while !Task.isCancelled {
        let attempt = machine.attemptStarted()
        do {
            let result = try await runAttempt(attempt, timeout: policy.attemptTimeout, clock: clock, operation)
            machine.attemptSucceeded()
            budget?.recordSuccess()
            observe(RetryAttempt(attempt, elapsed: start.duration(to: clock.now)))
            return result
        } catch {
            lastError = error
            if Task.isCancelled {
                break
            }
            let decision = classify(error)
            let elapsed = start.duration(to: clock.now)
            var action = machine.attemptFailed(decision, elapsed: elapsed)
            // The token is taken before the wait, so an empty budget surfaces the failure now.
            if case .retry = action, let budget, !budget.tryAcquireRetry() {
                action = .stop(machine.retryRefused())
            }
            observe(RetryAttempt(attempt, elapsed: elapsed, error: error, decision: decision, action: action))
            guard case .retry(let delay) = action else {
                throw RetryError(action, attempts: attempt, underlying: error)
            }
            do {
                try await clock.sleep(for: delay)
            } catch {
                budget?.refundRetry()
                break
            }
        }
    }
    throw RetryError(machine.cancelled(), attempts: machine.attempts, underlying: lastError)
}

/// One attempt, raced against its timeout when there is one.
private func runAttempt<C: Clock, R: Sendable>(
    _ attempt: Int,
    timeout: Duration?,
    clock: C,
    _ operation: @escaping @Sendable (_ attempt: Int) async throws -> R
) async throws -> R where C.Duration == Duration {
    guard let timeout else {
        return try await operation(attempt)
    }
    return try await withThrowingTaskGroup(of: R?.self) { group in
        group.addTask {
            try await operation(attempt)
        }
        group.addTask {
            try await clock.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        // The first child to finish decides; cancelling the other and leaving the group
        // waits for it, so a timed-out operation never outlives its attempt.
        guard let first = try await group.next(), let result = first else {
            throw AttemptTimeoutError(attempt: attempt, timeout: timeout)
        }
        return result
    }
}

extension RetryAttempt {
    init(
        _ number: Int,
        elapsed: Duration,
        error: (any Error)? = nil,
        decision: RetryDecision? = nil,
        action: RetryFailureAction? = nil
    ) {
        self.number = number
        self.elapsed = elapsed
        self.error = error
        self.decision = decision
        switch action {
        case .retry(let delay): (nextDelay, stopReason) = (delay, nil)
        case .stop(let reason): (nextDelay, stopReason) = (nil, reason)
        case nil: (nextDelay, stopReason) = (nil, nil)
        }
    }
}

extension RetryError {
    /// The error for a loop the state machine stopped.
    init(_ action: RetryFailureAction, attempts: Int, underlying: any Error) {
        guard case .stop(let reason) = action else {
            preconditionFailure("RetryError made from a retry action")
        }
        self.init(reason, attempts: attempts, underlying: underlying)
    }
}
