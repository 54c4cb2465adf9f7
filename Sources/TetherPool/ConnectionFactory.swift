/// Makes, checks and closes the connections a ``ConnectionPool`` holds.
///
/// The pool does no I/O of its own: everything it knows about a connection comes through
/// this protocol. The same pool therefore holds database connections (the target is a
/// connect string) and SMTP sessions (the target is the relay's settings).
///
/// Every method may be called from any task, and several at once for different connections.
public protocol ConnectionFactory: Sendable {
    /// The connection the pool lends out.
    associatedtype Connection: Sendable

    /// What a connection is made to: a connect string, rotated credentials, a relay address.
    ///
    /// ``ConnectionPool/swap(to:)`` changes it; every connection made afterwards uses the new one.
    associatedtype Target: Sendable

    /// Opens one connection to `target`.
    ///
    /// - Parameters:
    ///   - target: What to connect to.
    ///   - timeout: The whole budget for the attempt, login included. The factory must end the
    ///     attempt with an error once it is spent; the pool does not interrupt a running attempt.
    /// - Throws: The real cause, which ``classify(_:)`` then sorts.
    func makeConnection(to target: Target, timeout: Duration) async throws -> Connection

    /// Closes `connection`; called once per connection.
    ///
    /// After a forced drain this may run while an operation cancelled with
    /// ``cancelOperation(on:)`` is still unwinding on the connection, so it must be safe then.
    func close(_ connection: Connection) async

    /// Whether `connection` still works, checked before lending out one that sat idle past
    /// ``PoolConfiguration/keepAliveThreshold`` or that shares a generation with one found broken.
    nonisolated(nonsending) func validate(_ connection: Connection) async -> Bool

    /// Sorts an error thrown by ``makeConnection(to:timeout:)`` or by an operation.
    func classify(_ error: any Error) -> ConnectionFailureKind

    /// Interrupts the operation running on `connection` (for ODBC, `SQLCancel`).
    ///
    /// Called from another task when a drain times out; must not wait for the operation.
    func cancelOperation(on connection: Connection)

    /// Brings a returned connection back to a clean state, for example by rolling back a
    /// transaction left open.
    ///
    /// - Returns: `false` when the connection cannot be made clean and must be closed.
    /// - Throws: Any error; the connection is then closed.
    nonisolated(nonsending) func reset(_ connection: Connection) async throws -> Bool

    /// Whether `connection` came back clean, so that ``reset(_:)`` need not run: asked on every
    /// return, without waiting, before `reset` is called.
    func isClean(_ connection: Connection) -> Bool

    /// The thread `connection` does its work on, when it owns one (see ``ThreadAffinity``).
    ///
    /// Asked once, when the connection is made. A caller running on that thread is lent this
    /// connection first whenever it is idle.
    func threadAffinity(of connection: Connection) -> ThreadAffinity?

    /// Waits for attempts that went on after the pool stopped waiting for them (a login that
    /// cannot be interrupted, cancelled at shutdown), so that none outlives the pool.
    ///
    /// ``ConnectionPool/run()`` awaits it last, before ``ConnectionPool/shutdown()`` returns;
    /// it should be bounded by the attempts' own timeouts.
    ///
    /// - Returns: How many still run when the wait ends: 0 unless they overran their own
    ///   timeouts (the pool reports a count above 0 to its delegate).
    func awaitAbandonedAttempts() async -> Int
}

extension ConnectionFactory {
    /// Trusts every idle connection.
    nonisolated(nonsending) public func validate(_ connection: Connection) async -> Bool { true }

    /// Does nothing: the drain closes the connection once the timeout has passed.
    public func cancelOperation(on connection: Connection) {}

    /// Keeps every returned connection as it is.
    nonisolated(nonsending) public func reset(_ connection: Connection) async throws -> Bool { true }

    /// Never sure: ``reset(_:)`` runs on every return.
    public func isClean(_ connection: Connection) -> Bool { false }

    /// No thread of its own: any caller may take any idle connection.
    public func threadAffinity(of connection: Connection) -> ThreadAffinity? { nil }

    /// Returns 0 at once: nothing of an attempt goes on after its task ends.
    public func awaitAbandonedAttempts() async -> Int { 0 }
}
