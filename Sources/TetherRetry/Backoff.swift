/// The delays of one run of a ``ReconnectPolicy``, one after another.
///
/// A plain value: each ``next(using:)`` returns the delay before the next attempt and
/// remembers what decorrelated jitter needs. It knows nothing of attempts limits or time;
/// ``withRetries(_:clock:budget:random:classify:observe:operation:)`` adds those.
public struct Backoff: Sendable {
    /// The policy whose delays this produces.
    public let policy: ReconnectPolicy
    /// How many delays have been produced so far.
    public private(set) var count = 0
    private var previous: Double
    private var uncapped: Double

    /// Starts before the first delay.
    public init(policy: ReconnectPolicy) {
        self.policy = policy
        self.previous = policy.baseDelay.seconds
        self.uncapped = policy.baseDelay.seconds
    }

    /// The delay after the `count + 1`-th failed attempt, jittered with `generator`.
    public mutating func next<G: RandomNumberGenerator>(using generator: inout G) -> Duration {
        let base = policy.baseDelay.seconds
        let cap = policy.maximumDelay.seconds
        let capped = min(cap, uncapped)
        let jittered = policy.jitter.apply(
            capped: capped,
            previous: previous,
            base: base,
            cap: cap,
            using: &generator
        )
        count += 1
        previous = jittered
        // Growth stops at the cap, so the value never overflows however many attempts run.
        if uncapped < cap {
            uncapped *= policy.multiplier
        }
        return .seconds(max(0, jittered))
    }
}

extension ReconnectPolicy {
    /// The delays this policy would wait between attempts, for inspection.
    ///
    /// The sequence has `maximumAttempts - 1` elements when ``maximumAttempts`` is set and
    /// is endless otherwise; ``maximumElapsed`` is not applied because it depends on how long
    /// the attempts themselves take.
    ///
    /// ```swift
    /// var random = SystemRandomNumberGenerator()
    /// let firstFive = Array(ReconnectPolicy.default.delays(using: random).prefix(5))
    /// ```
    public func delays<G: RandomNumberGenerator>(using generator: G) -> ReconnectDelays<G> {
        ReconnectDelays(backoff: Backoff(policy: self), generator: generator)
    }

    /// The delays this policy would wait between attempts, with the system's random numbers.
    public func delays() -> ReconnectDelays<SystemRandomNumberGenerator> {
        delays(using: SystemRandomNumberGenerator())
    }
}

/// The delays of a ``ReconnectPolicy``, as a sequence. See ``ReconnectPolicy/delays(using:)``.
public struct ReconnectDelays<G: RandomNumberGenerator>: Sequence, IteratorProtocol {
    private var backoff: Backoff
    private var generator: G

    init(backoff: Backoff, generator: G) {
        self.backoff = backoff
        self.generator = generator
    }

    /// The next delay, or `nil` after the last one the attempt limit allows.
    public mutating func next() -> Duration? {
        if let maximumAttempts = backoff.policy.maximumAttempts, backoff.count >= maximumAttempts - 1 {
            return nil
        }
        return backoff.next(using: &generator)
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
