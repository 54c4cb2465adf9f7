/// Why ``withRetries(_:clock:budget:random:classify:observe:operation:)`` gave up, after how
/// many attempts, and the last failure.
public struct RetryError: Error, CustomStringConvertible {
    /// Why the retries stopped; compare with the static members.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        private enum Code: String, Hashable, Sendable {
            case permanent
            case attemptsExhausted = "attempts_exhausted"
            case elapsedExhausted = "elapsed_exhausted"
            case budgetExhausted = "budget_exhausted"
            case cancelled
        }

        private let code: Code

        private init(_ code: Code) {
            self.code = code
        }

        /// The classifier called the failure permanent (``RetryDecision/stop``).
        public static let permanent = Reason(.permanent)
        /// ``ReconnectPolicy/maximumAttempts`` attempts were made.
        public static let attemptsExhausted = Reason(.attemptsExhausted)
        /// ``ReconnectPolicy/maximumElapsed`` has passed, or a retry-after hint ends after it.
        public static let elapsedExhausted = Reason(.elapsedExhausted)
        /// The shared ``RetryBudget`` had no token for another attempt.
        public static let budgetExhausted = Reason(.budgetExhausted)
        /// The calling task was cancelled.
        public static let cancelled = Reason(.cancelled)

        /// A short fixed form, fit for a metric label.
        public var description: String { code.rawValue }
    }

    /// Why the retries stopped.
    public let reason: Reason
    /// How many attempts were started, the first included.
    public let attempts: Int
    /// The last attempt's error, unchanged; `nil` only when cancelled before any attempt failed.
    public let underlying: (any Error)?

    init(_ reason: Reason, attempts: Int, underlying: (any Error)?) {
        self.reason = reason
        self.attempts = attempts
        self.underlying = underlying
    }

    public var description: String {
        let last = underlying.map { "; last error: \($0)" } ?? ""
        return "gave up after \(attempts) attempt\(attempts == 1 ? "" : "s") (\(reason))\(last)"
    }
}

/// One attempt ran longer than ``ReconnectPolicy/attemptTimeout`` and was cancelled.
///
/// The classifier sees it like any other failure; ``RetryDecision/retryEverything`` retries it.
public struct AttemptTimeoutError: Error, Hashable, CustomStringConvertible {
    /// The attempt that timed out, counting from 1.
    public let attempt: Int
    /// The limit it exceeded.
    public let timeout: Duration

    /// Makes the error for `attempt`, which exceeded `timeout`.
    public init(attempt: Int, timeout: Duration) {
        self.attempt = attempt
        self.timeout = timeout
    }

    public var description: String { "attempt \(attempt) timed out after \(timeout)" }
}
