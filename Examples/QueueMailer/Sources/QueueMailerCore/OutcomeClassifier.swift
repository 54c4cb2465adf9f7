/// Turns what the relay did into the attempt's recorded outcome.
///
/// | verdict | outcome | request becomes |
/// |---|---|---|
/// | accepted (2xx) | sent | done |
/// | transient (4xx, or a transport failure before the end of data) | retry | ready after the backoff |
/// | transient, no attempts left | failed | failed, "no attempts left" |
/// | permanent (5xx) | failed | failed |
/// | ambiguous (no final reply after the end of data) | unknown | unknown: never resent blindly |
/// | not started (cancelled at shutdown) | retry, released | ready now, the attempt not counted |
/// | bad message | failed | failed, with the reason |
/// | relay unavailable | retry, deferred | ready now, the attempt not counted; the relay gate closes |
public struct OutcomeClassifier: Sendable {
    /// The wait before the retry following attempt n (1-based), without a hint.
    public let backoff: @Sendable (_ attempt: Int) -> Duration
    /// The longest wait a relay's hint can impose.
    public let maximumHint: Duration

    public init(maximumHint: Duration, backoff: @escaping @Sendable (_ attempt: Int) -> Duration) {
        self.backoff = backoff
        self.maximumHint = maximumHint
    }

    /// The result of `claimed`'s attempt, given the relay's report.
    public func result(for claimed: ClaimedRequest, report: DeliveryReport) -> AttemptResult {
        var result = AttemptResult(
            requestID: claimed.id, attempt: claimed.attempt, maxAttempts: claimed.maxAttempts, outcome: .failed,
            smtpCode: report.code, enhancedCode: report.enhancedCode, detail: report.detail)
        result.recipients = report.recipients
        switch report.verdict {
        case .accepted:
            result.outcome = .sent
        case .permanent:
            result.outcome = .failed
        case .ambiguous:
            result.outcome = .unknown
        case .badMessage:
            result.outcome = .failed
            result.detail = "bad data: \(report.detail)"
        case .transient where claimed.attempt >= claimed.maxAttempts:
            // Recorded as failed, so the row, the request, the counters and the log all agree.
            result.outcome = .failed
            result.detail = "no attempts left (\(claimed.maxAttempts)); last: \(report.detail)"
        case .transient(let hint):
            result.outcome = .retry
            result.retryAfter = retryDelay(attempt: claimed.attempt, hint: hint)
        case .notStarted:
            result.outcome = .retry
            result.released = true
            result.detail = "not sent: \(report.detail)"
        case .relayUnavailable:
            result = deferred(claimed, reason: report.detail, code: report.code)
        }
        return result
    }

    /// The result for a request handed back because the relay was unavailable: the attempt
    /// is recorded (outcome retry) and not counted against the request's limit.
    public func deferred(_ claimed: ClaimedRequest, reason: String, code: Int? = nil) -> AttemptResult {
        var result = AttemptResult(
            requestID: claimed.id, attempt: claimed.attempt, maxAttempts: claimed.maxAttempts, outcome: .retry,
            smtpCode: code, detail: "relay unavailable, not counted as an attempt: \(reason)")
        result.released = true
        result.deferred = true
        return result
    }

    /// The result for a request whose row could not be read as a request.
    public func badData(_ claimed: ClaimedRequest, _ error: MailerError) -> AttemptResult {
        AttemptResult(
            requestID: claimed.id, attempt: claimed.attempt, maxAttempts: claimed.maxAttempts, outcome: .failed,
            detail: "bad data: \(error)")
    }

    /// The result for a request handed back unsent (shutdown, or the database could not be asked).
    public func released(_ claimed: ClaimedRequest, reason: String) -> AttemptResult {
        var result = AttemptResult(
            requestID: claimed.id, attempt: claimed.attempt, maxAttempts: claimed.maxAttempts, outcome: .retry,
            detail: "not sent: \(reason)")
        result.released = true
        return result
    }

    /// The result for a request an earlier attempt already sent: it is done, and not sent again.
    public func alreadySent(_ claimed: ClaimedRequest, byAttempt attempt: Int) -> AttemptResult {
        AttemptResult(
            requestID: claimed.id, attempt: claimed.attempt, maxAttempts: claimed.maxAttempts, outcome: .sent,
            detail: "already sent by attempt \(attempt); not sent again")
    }

    /// The wait before the next attempt: the backoff, raised to the relay's hint (capped).
    public func retryDelay(attempt: Int, hint: Duration?) -> Duration {
        let planned = backoff(attempt)
        guard let hint else { return planned }
        return max(planned, min(hint, maximumHint))
    }
}
