/// The pool's gauges at one moment.
public struct PoolGauges: Sendable, Hashable {
    /// Open connections of the current generation waiting to be lent out.
    public var idle: Int
    /// Connections lent out, of every generation.
    public var leased: Int
    /// Connection attempts in progress or waiting to retry.
    public var creating: Int
    /// Callers waiting for a connection.
    public var waiting: Int
    /// The generation that serves new callers.
    public var generation: Int
    /// Operations running inside ``ConnectionPool/withConnection(idempotent:_:)``.
    public var activeOperations: Int

    /// Makes a set of gauges, for comparing in tests.
    public init(idle: Int, leased: Int, creating: Int, waiting: Int, generation: Int, activeOperations: Int = 0) {
        self.idle = idle
        self.leased = leased
        self.creating = creating
        self.waiting = waiting
        self.generation = generation
        self.activeOperations = activeOperations
    }
}

/// Running totals since the pool started.
public struct PoolCounters: Sendable, Hashable {
    /// Connections made.
    public var created = 0
    /// Connections closed, by reason.
    public var closed: [CloseReason: Int] = [:]
    /// Failed connection attempts, retried or not.
    public var failedAttempts = 0
    /// Callers that failed because no connection could be made.
    public var connectFailures = 0
    /// Callers that gave up waiting in an exhausted pool.
    public var acquireTimeouts = 0
    /// Connections evicted because an operation found them broken.
    public var evictions = 0
    /// Swaps and reconnects requested.
    public var swaps = 0
    /// Idle connections pinged to keep them open (``PoolConfiguration/keepAliveInterval``);
    /// one that failed is also counted in ``closed`` as ``CloseReason/failedValidation``.
    public var keepAlivePings = 0
    /// How long callers that had to wait waited, in powers of two.
    public var waitTimes = WaitTimeHistogram()

    mutating func recordWait(_ wait: Duration) {
        waitTimes.record(wait)
    }
}

/// A distribution of wait times in buckets that double: bucket `i` counts waits shorter than
/// 2^i microseconds (bucket 0: under 1 microsecond), the last bucket everything longer.
public struct WaitTimeHistogram: Sendable, Hashable {
    /// Counts per bucket; 32 buckets reach about 36 minutes.
    public private(set) var buckets = [Int](repeating: 0, count: 32)

    /// Waits recorded.
    public var count: Int { buckets.reduce(0, +) }

    mutating func record(_ wait: Duration) {
        let microseconds = max(0, wait / .microseconds(1))
        let bucket =
            microseconds < 1
            ? 0
            : min(
                buckets.count - 1,
                Int(microseconds.rounded(.down)).bitWidth
                    - Int(microseconds.rounded(.down)).leadingZeroBitCount)
        buckets[bucket] += 1
    }

    /// The upper bound of the bucket holding quantile `q` (0...1), or nil when empty.
    public func upperBound(ofQuantile q: Double) -> Duration? {
        let total = count
        guard total > 0 else {
            return nil
        }
        let rank = max(1, Int((q * Double(total)).rounded(.up)))
        var seen = 0
        for (index, value) in buckets.enumerated() {
            seen += value
            if seen >= rank {
                return .microseconds(1 << index)
            }
        }
        return .microseconds(1 << (buckets.count - 1))
    }
}
