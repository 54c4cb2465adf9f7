/// The outcome of ``ConnectionPool/swap(to:)`` or ``ConnectionPool/reconnect()``.
public struct SwapReport: Sendable, Hashable, CustomStringConvertible {
    /// The generation the swap created.
    public let generation: Int

    /// Leased connections of the retired generations that came back within the drain timeout.
    public let drained: Int

    /// Leased connections still busy when the drain timeout passed: their operations were
    /// cancelled through the factory and their connections closed.
    public let forced: Int

    /// From the request to the last retired connection gone, on the pool's clock.
    public let duration: Duration

    /// Whether a newer swap or reconnect (or a shutdown) replaced this one before its generation
    /// took over; this one's generation never served a caller.
    public let superseded: Bool

    /// Whether the swap gave up on its new target, which refused the credentials or could not
    /// be reached within the creation policy, or its caller was cancelled while it prepared:
    /// nothing changed, the generation before it serves on, and ``generation`` never served.
    /// A reconnect gives up only when cancelled: it takes over at its first failed attempt.
    public let abandoned: Bool

    /// Makes a report, for comparing in tests.
    public init(
        generation: Int, drained: Int, forced: Int, duration: Duration, superseded: Bool, abandoned: Bool = false
    ) {
        self.generation = generation
        self.drained = drained
        self.forced = forced
        self.duration = duration
        self.superseded = superseded
        self.abandoned = abandoned
    }

    public var description: String {
        let outcome =
            superseded ? "superseded" : abandoned ? "abandoned" : "drained=\(drained) forced=\(forced)"
        return "generation=\(generation) \(outcome) duration=\(duration)"
    }
}

/// Why the pool closed a connection; a counter label.
public struct CloseReason: Sendable, Hashable, CustomStringConvertible {
    private let name: String

    private init(_ name: String) {
        self.name = name
    }

    /// The connection failed and was evicted.
    public static let broken = CloseReason("broken")
    /// Validation said the connection no longer works.
    public static let failedValidation = CloseReason("failed-validation")
    /// ``ConnectionFactory/reset(_:)`` could not make it clean.
    public static let resetFailed = CloseReason("reset-failed")
    /// Idle past ``PoolConfiguration/idleTimeout``.
    public static let idleTimeout = CloseReason("idle-timeout")
    /// Past its lifetime, after its replacement was made.
    public static let lifetime = CloseReason("lifetime")
    /// Its generation was retired by a swap or reconnect.
    public static let retired = CloseReason("retired")
    /// Still busy when its generation's drain timed out.
    public static let forced = CloseReason("forced")
    /// Made for a generation or a purpose that was gone when it arrived.
    public static let lateArrival = CloseReason("late-arrival")
    /// The pool shut down.
    public static let shutdown = CloseReason("shutdown")

    public var description: String { name }
}

/// What kind of change a swap is.
public struct SwapKind: Sendable, Hashable, CustomStringConvertible {
    private let name: String

    private init(_ name: String) {
        self.name = name
    }

    /// A new target; drains within ``PoolConfiguration/swapDrainTimeout``.
    public static let swap = SwapKind("swap")
    /// The same target after the old connections were lost; drains within
    /// ``PoolConfiguration/reconnectDrainTimeout``.
    public static let reconnect = SwapKind("reconnect")

    public var description: String { name }
}
