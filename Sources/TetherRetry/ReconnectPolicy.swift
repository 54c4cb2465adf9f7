/// How long to wait before each new attempt, and when to give up.
///
/// The delay before attempt `n + 1` grows exponentially from ``baseDelay`` and is capped at
/// ``maximumDelay``; ``jitter`` is applied after the cap (see ``Jitter``):
///
///     d(n) = min(maximumDelay, baseDelay × multiplier^(n-1))      then jittered
///
/// With the defaults (1 s, × 1.6, 120 s cap, ± 20 %), before jitter:
///
/// | after attempt | 1 | 2 | 3 | 4 | 5 | 6 | 8 | 10 | 11 | 12+ |
/// |---|---|---|---|---|---|---|---|---|---|---|
/// | delay (s) | 1.0 | 1.6 | 2.56 | 4.10 | 6.55 | 10.5 | 26.8 | 68.7 | 110 | 120 |
///
/// and each delay is drawn from 80 % to 120 % of that value. These are the parameters of
/// gRPC's connection backoff protocol (`doc/connection-backoff.md` in the grpc repository:
/// initial backoff 1 s, multiplier 1.6, jitter 0.2, maximum backoff 120 s), which large RPC
/// deployments use to reconnect many clients to a recovering server without a thundering herd.
///
/// A policy is checked when it is made: zero or negative delays, a multiplier below one or
/// not finite, a cap below the base, an unusable jitter fraction, or non-positive limits
/// throw ``ReconnectPolicyError`` naming the field, rather than turning into a hot retry loop.
public struct ReconnectPolicy: Sendable, Hashable {
    /// The delay before the second attempt. Defaults to 1 second.
    public let baseDelay: Duration
    /// The growth factor from one delay to the next, at least 1. Defaults to 1.6.
    public let multiplier: Double
    /// The cap on the delay before jitter. Defaults to 120 seconds.
    public let maximumDelay: Duration
    /// How delays are randomised after capping. Defaults to ``Jitter/proportional(_:)`` 0.2.
    public let jitter: Jitter
    /// The most attempts made, the first included; `nil` for no limit. Defaults to `nil`.
    public let maximumAttempts: Int?
    /// How long after the first attempt started a new attempt may still start; the last
    /// wait is shortened to end at this limit rather than give up early. `nil` for no limit.
    /// An attempt already running is not cut short by it (see ``attemptTimeout``).
    /// Defaults to `nil`.
    public let maximumElapsed: Duration?
    /// How long one attempt may run before it is cancelled and counted as failed with
    /// ``AttemptTimeoutError``; `nil` for no limit. Defaults to `nil`.
    public let attemptTimeout: Duration?
    /// The longest a server's retry-after hint (``RetryDecision/retryAfter(_:)``) is honoured;
    /// a longer hint is clamped to it. Defaults to 300 seconds.
    public let maximumRetryAfter: Duration

    /// The defaults: 1 s base, × 1.6, 120 s cap, ± 20 % jitter, no limit on attempts or time.
    public static let `default` = try! ReconnectPolicy()

    /// Makes a policy, checking every setting.
    ///
    /// - Throws: ``ReconnectPolicyError`` naming the first field that is out of range.
    public init(
        baseDelay: Duration = .seconds(1),
        multiplier: Double = 1.6,
        maximumDelay: Duration = .seconds(120),
        jitter: Jitter = .proportional(0.2),
        maximumAttempts: Int? = nil,
        maximumElapsed: Duration? = nil,
        attemptTimeout: Duration? = nil,
        maximumRetryAfter: Duration = .seconds(300)
    ) throws(ReconnectPolicyError) {
        try Self.requirePositive(baseDelay, "baseDelay")
        guard multiplier.isFinite else {
            throw ReconnectPolicyError(.notFinite, field: "multiplier", value: "\(multiplier)")
        }
        guard multiplier >= 1 else {
            throw ReconnectPolicyError(.multiplierBelowOne, field: "multiplier", value: "\(multiplier)")
        }
        guard maximumDelay >= baseDelay else {
            throw ReconnectPolicyError(.capBelowBase, field: "maximumDelay", value: "\(maximumDelay)")
        }
        try Self.validate(jitter)
        if let maximumAttempts, maximumAttempts < 1 {
            throw ReconnectPolicyError(.notPositive, field: "maximumAttempts", value: "\(maximumAttempts)")
        }
        if let maximumElapsed {
            try Self.requirePositive(maximumElapsed, "maximumElapsed")
        }
        if let attemptTimeout {
            try Self.requirePositive(attemptTimeout, "attemptTimeout")
        }
        try Self.requirePositive(maximumRetryAfter, "maximumRetryAfter")
        self.baseDelay = baseDelay
        self.multiplier = multiplier
        self.maximumDelay = maximumDelay
        self.jitter = jitter
        self.maximumAttempts = maximumAttempts
        self.maximumElapsed = maximumElapsed
        self.attemptTimeout = attemptTimeout
        self.maximumRetryAfter = maximumRetryAfter
    }

    private static func requirePositive(_ value: Duration, _ field: String) throws(ReconnectPolicyError) {
        guard value > .zero else {
            throw ReconnectPolicyError(.notPositive, field: field, value: "\(value)")
        }
    }

    private static func validate(_ jitter: Jitter) throws(ReconnectPolicyError) {
        guard let fraction = jitter.proportionalFraction else {
            return
        }
        guard fraction.isFinite else {
            throw ReconnectPolicyError(.notFinite, field: "jitter", value: "\(fraction)")
        }
        guard fraction >= 0, fraction < 1 else {
            throw ReconnectPolicyError(.outOfRange, field: "jitter", value: "\(fraction)")
        }
    }
}
