/// What an observer of ``withRetries(_:clock:budget:random:classify:observe:operation:)``
/// learns after each attempt: enough for a log line or a metric, nothing more.
public struct RetryAttempt: Sendable, CustomStringConvertible {
    /// The attempt, counting from 1.
    public let number: Int
    /// Time since the first attempt started, measured when this one ended.
    public let elapsed: Duration
    /// The attempt's error; `nil` when it succeeded.
    public let error: (any Error)?
    /// The classifier's verdict on ``error``; `nil` on success.
    public let decision: RetryDecision?
    /// The wait before the next attempt; `nil` when none follows.
    public let nextDelay: Duration?
    /// Why no attempt follows; `nil` on success or when one follows.
    public let stopReason: RetryError.Reason?

    public var description: String {
        guard let error else {
            return "attempt \(number) succeeded after \(elapsed)"
        }
        let next = nextDelay.map { "retrying in \($0)" } ?? "stopping (\(stopReason.map { "\($0)" } ?? "?"))"
        return "attempt \(number) failed after \(elapsed): \(error); \(next)"
    }
}
