import TetherRetry

extension SMTPError {
    /// What a retry loop should do after this error, for ``withRetries``-style callers.
    ///
    /// | kind, code | decision |
    /// |---|---|
    /// | `transient` | `retryAfter(hint)` (the wait the reply states; else 30 s after a 421, 5 min otherwise) |
    /// | `permanent`, `ambiguous` | `stop` (an ambiguous message may have been delivered) |
    /// | `notAccepted`: bad input, refused credentials, TLS or policy failures | `stop` |
    /// | `notAccepted`: connection failures, timeouts before the end of data | `retry` (30 s after a close) |
    /// | `notAccepted`: cancelled | `stop` |
    public var retryDecision: RetryDecision {
        if kind == .permanent || kind == .ambiguous { return .stop }
        if kind == .transient { return retryAfterHint.map { .retryAfter($0) } ?? .retry }
        let final: Set<Code> = [
            .invalidInput, .controlCharacter, .cancelled, .tlsRequired, .tlsFailed, .bytesBeforeTLS,
            .authenticationRequiresTLS, .authenticationUnavailable, .authenticationFailed, .messageTooLarge,
            .extensionUnavailable,
        ]
        if final.contains(code) { return .stop }
        return retryAfterHint.map { .retryAfter($0) } ?? .retry
    }

    /// The decision for any error: ``retryDecision`` for an ``SMTPError``, `stop` for others.
    public static func retryDecision(for error: any Error) -> RetryDecision {
        (error as? SMTPError)?.retryDecision ?? .stop
    }
}
