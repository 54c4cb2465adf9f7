import TetherRetry

/// How a ``ConnectionPool`` sizes, ages and drains its connections.
public struct PoolConfiguration: Sendable, Hashable {
    /// Connections the pool keeps open even when idle; a swap makes this many of the new
    /// generation (at least one) before moving callers to it. Defaults to 0.
    public var minimumConnections: Int

    /// Connections of the current generation, idle, leased or being made, at most. During a drain
    /// the retiring generation's leased connections come on top. Defaults to 10.
    public var maximumConnections: Int

    /// How long a caller waits for a connection before failing with
    /// ``ConnectionPoolError/Code/acquireTimeout``. Defaults to 10 seconds.
    public var acquireTimeout: Duration

    /// The budget for one connection attempt, login included, handed to the factory. While no
    /// connection can be made, waiting callers fail within it with the real cause.
    /// Defaults to 5 seconds.
    public var connectTimeout: Duration

    /// An idle connection above ``minimumConnections`` is closed after this long unused;
    /// `nil` keeps it. Defaults to 5 minutes.
    public var idleTimeout: Duration?

    /// A connection is replaced after about this long; `nil` keeps it forever. Each connection's
    /// lifetime is shortened by a random share of up to ``lifetimeJitter``, and its replacement
    /// is made before it is closed. Defaults to 30 minutes.
    public var maximumLifetime: Duration?

    /// The largest share by which a connection's lifetime is shortened at random, so that
    /// connections made together do not all retire together. At least 0.1, below 1.
    /// Defaults to 0.1.
    public var lifetimeJitter: Double

    /// A connection idle longer than this is validated before it is lent out; `nil` never
    /// validates. Defaults to 30 seconds.
    public var keepAliveThreshold: Duration?

    /// An idle connection unused this long is pinged (``ConnectionFactory/validate(_:)``) at
    /// the next maintenance tick, and closed and replaced if the ping fails; `nil` never pings.
    ///
    /// Set it below the idle limit of any firewall, NAT or proxy between the pool and the
    /// server: one that drops a quiet connection silently leaves the next borrower's check
    /// waiting for TCP to give up, which takes minutes. A connection being pinged counts as
    /// leased, for a round trip. Defaults to `nil`.
    public var keepAliveInterval: Duration?

    /// How long ``ConnectionPool/swap(to:)`` waits for the old generation's operations before
    /// cancelling them and closing their connections. Defaults to 5 seconds.
    public var swapDrainTimeout: Duration

    /// How long ``ConnectionPool/reconnect()`` waits for the old generation's operations.
    /// Defaults to 35 seconds.
    public var reconnectDrainTimeout: Duration

    /// How often idle timeouts, lifetimes and the minimum are checked. Defaults to 1 second.
    public var maintenanceInterval: Duration

    /// The delays between attempts to make a connection the pool still needs (for its minimum,
    /// for waiting callers, or to replace an aged connection). Creation stops at once on an
    /// authentication failure, and when nobody needs the connection any more. Its delays are
    /// also the hold-offs after a failed attempt left no connection open, during which callers
    /// fail at once with the cause instead of each starting an attempt. Defaults to
    /// 250 ms growing by 1.6 up to 10 s, with 20 % jitter and no limit on attempts.
    public var creationPolicy: ReconnectPolicy

    /// Sets every property to its documented default.
    public init() {
        minimumConnections = 0
        maximumConnections = 10
        acquireTimeout = .seconds(10)
        connectTimeout = .seconds(5)
        idleTimeout = .seconds(300)
        maximumLifetime = .seconds(1800)
        lifetimeJitter = 0.1
        keepAliveThreshold = .seconds(30)
        keepAliveInterval = nil
        swapDrainTimeout = .seconds(5)
        reconnectDrainTimeout = .seconds(35)
        maintenanceInterval = .seconds(1)
        // The values are constants inside the policy's valid ranges.
        creationPolicy = try! ReconnectPolicy(baseDelay: .milliseconds(250), maximumDelay: .seconds(10))
    }

    /// Checks every value.
    ///
    /// - Throws: ``ConnectionPoolError`` with ``ConnectionPoolError/Code/invalidConfiguration``
    ///   naming the first field out of range.
    public func validate() throws {
        try check(minimumConnections >= 0, "minimumConnections must be 0 or more")
        try check(maximumConnections >= 1, "maximumConnections must be 1 or more")
        try check(minimumConnections <= maximumConnections, "minimumConnections exceeds maximumConnections")
        try check(acquireTimeout > .zero, "acquireTimeout must be positive")
        try check(connectTimeout > .zero, "connectTimeout must be positive")
        try check(idleTimeout.map { $0 > .zero } ?? true, "idleTimeout must be positive")
        try check(maximumLifetime.map { $0 > .zero } ?? true, "maximumLifetime must be positive")
        try check(lifetimeJitter >= 0.1 && lifetimeJitter < 1, "lifetimeJitter must be in 0.1..<1")
        try check(keepAliveThreshold.map { $0 >= .zero } ?? true, "keepAliveThreshold must not be negative")
        try check(swapDrainTimeout >= .zero, "swapDrainTimeout must not be negative")
        try check(reconnectDrainTimeout >= .zero, "reconnectDrainTimeout must not be negative")
        try check(maintenanceInterval > .zero, "maintenanceInterval must be positive")
        try check(keepAliveInterval.map { $0 > .zero } ?? true, "keepAliveInterval must be positive")
    }

    private func check(_ condition: Bool, _ detail: String) throws {
        if !condition {
            throw ConnectionPoolError(.invalidConfiguration, detail: detail)
        }
    }
}
