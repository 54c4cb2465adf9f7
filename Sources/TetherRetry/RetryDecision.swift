/// What a classifier decides about one failed attempt.
public enum RetryDecision: Sendable, Hashable {
    /// Worth another attempt after the policy's delay.
    case retry
    /// Permanent: another attempt would fail the same way, so stop now.
    case stop
    /// Worth another attempt, but no earlier than the given time (a server's "try again in
    /// N seconds"). The hint is clamped to ``ReconnectPolicy/maximumRetryAfter``; the wait
    /// is the longer of the hint and the policy's delay.
    case retryAfter(Duration)

    /// A classifier that retries every failure.
    public static let retryEverything: @Sendable (any Error) -> RetryDecision = { _ in .retry }
}
