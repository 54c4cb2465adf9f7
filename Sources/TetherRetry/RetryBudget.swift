import Synchronization

/// A token bucket that many retry loops share, so one outage cannot become a retry storm.
///
/// Every retry (an attempt after the first) takes one token before its wait; every success puts
/// ``refillPerSuccess`` back, up to ``capacity``. When the bucket has less than one token,
/// ``withRetries(_:clock:budget:random:classify:observe:operation:)`` stops at once with
/// ``RetryError/Reason/budgetExhausted`` instead of waiting, so callers learn of the outage
/// immediately. First attempts never take tokens: the budget limits *extra* load only.
///
/// With the defaults (10 tokens, 0.1 per success), a fleet of callers sharing one budget
/// makes at most 10 retries during a total outage, and in steady state at most one retry
/// for every ten successes, the same ratio as gRPC's retry throttling example
/// (`maxTokens` 10, `tokenRatio` 0.1, in gRFC A6).
public final class RetryBudget: Sendable {
    /// The most tokens the bucket holds; it starts full. Defaults to 10.
    public let capacity: Double
    /// Tokens a success puts back. Defaults to 0.1.
    public let refillPerSuccess: Double

    /// The token count as a `Double`'s bit pattern, so taking and refilling need no lock.
    private let tokenBits: Atomic<UInt64>

    /// Makes a full bucket.
    ///
    /// - Throws: ``ReconnectPolicyError`` naming `capacity` or `refillPerSuccess` when one is
    ///   not finite, `capacity` is below 1, or `refillPerSuccess` is negative.
    public init(capacity: Double = 10, refillPerSuccess: Double = 0.1) throws(ReconnectPolicyError) {
        guard capacity.isFinite else {
            throw ReconnectPolicyError(.notFinite, field: "capacity", value: "\(capacity)")
        }
        guard capacity >= 1 else {
            throw ReconnectPolicyError(.outOfRange, field: "capacity", value: "\(capacity)")
        }
        guard refillPerSuccess.isFinite else {
            throw ReconnectPolicyError(.notFinite, field: "refillPerSuccess", value: "\(refillPerSuccess)")
        }
        guard refillPerSuccess >= 0 else {
            throw ReconnectPolicyError(.outOfRange, field: "refillPerSuccess", value: "\(refillPerSuccess)")
        }
        self.capacity = capacity
        self.refillPerSuccess = refillPerSuccess
        self.tokenBits = Atomic(capacity.bitPattern)
    }

    /// The tokens in the bucket now.
    public var availableTokens: Double {
        Double(bitPattern: tokenBits.load(ordering: .relaxed))
    }

    /// Takes one token for a retry; `false` (and nothing taken) when fewer than one is left.
    public func tryAcquireRetry() -> Bool {
        update { tokens in tokens >= 1 ? tokens - 1 : nil }
    }

    /// Gives back the token of a retry that never ran (its wait was cancelled).
    func refundRetry() {
        _ = update { tokens in min(capacity, tokens + 1) }
    }

    /// Records a success, putting ``refillPerSuccess`` back up to ``capacity``.
    public func recordSuccess() {
        _ = update { tokens in min(capacity, tokens + refillPerSuccess) }
    }

    /// Replaces the token count with `transform`'s result unless it returns `nil`; returns
    /// whether it replaced it. Retries when another caller changed the count meanwhile.
    private func update(_ transform: (Double) -> Double?) -> Bool {
        var current = tokenBits.load(ordering: .relaxed)
        while true {
            guard let next = transform(Double(bitPattern: current)) else {
                return false
            }
            let (exchanged, found) = tokenBits.compareExchange(
                expected: current,
                desired: next.bitPattern,
                ordering: .relaxed
            )
            if exchanged {
                return true
            }
            current = found
        }
    }
}
