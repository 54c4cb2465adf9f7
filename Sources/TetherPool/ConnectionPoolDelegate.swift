/// Receives the pool's events, to turn them into log lines and metrics.
///
/// Methods are called synchronously on the pool's own tasks after its lock is released; they
/// should return quickly. Every method has an empty default. ``ConnectionPool/gauges`` and
/// ``ConnectionPool/counters`` give the current levels and totals at any time.
public protocol ConnectionPoolDelegate: Sendable {
    /// A connection of `generation` was made.
    func connectionCreated(generation: Int)

    /// An attempt to make a connection of `generation` failed; `willRetry` says whether the
    /// creation tries again after its backoff delay.
    func connectionAttemptFailed(generation: Int, error: any Error, kind: ConnectionFailureKind, willRetry: Bool)

    /// A connection was closed.
    func connectionClosed(generation: Int, reason: CloseReason)

    /// A caller got a connection after waiting `waited` (zero when one was idle).
    func leaseAcquired(waited: Duration)

    /// A caller failed to get a connection: timeout, connection failure or shutdown.
    func acquireFailed(_ error: ConnectionPoolError)

    /// A swap or reconnect finished.
    func swapFinished(_ report: SwapReport)

    /// `count` connection attempts that the pool gave up on still ran when ``ConnectionPool/run()``
    /// stopped waiting for them: they overran their own timeouts (see
    /// ``ConnectionFactory/awaitAbandonedAttempts()``). A process that exits now may do so
    /// while a driver is still inside them.
    func attemptsOutlivedShutdown(_ count: Int)
}

extension ConnectionPoolDelegate {
    public func connectionCreated(generation: Int) {}
    public func connectionAttemptFailed(generation: Int, error: any Error, kind: ConnectionFailureKind, willRetry: Bool)
    {}
    public func connectionClosed(generation: Int, reason: CloseReason) {}
    public func leaseAcquired(waited: Duration) {}
    public func acquireFailed(_ error: ConnectionPoolError) {}
    public func swapFinished(_ report: SwapReport) {}
    public func attemptsOutlivedShutdown(_ count: Int) {}
}
