import TetherPool

/// Makes ``ODBCConnection``s for a `ConnectionPool`; the target is the connect string, so a
/// hot swap to new credentials, another database or a failover server is a swap to a new
/// ``ODBCConnectString``.
///
/// ```swift
/// let pool = try ConnectionPool(factory: ODBCConnectionFactory(), target: connectString)
/// let count = try await pool.withConnection { connection in
///     try await connection.withSession { try $0.query("SELECT count(*) FROM jobs")[0].decode(Int.self, at: 0) }
/// }
/// ```
///
/// Failures are sorted by ``ODBCError/kind``: a lost connection is broken, `08007` an unknown
/// outcome, a refused login an authentication failure (the pool stops retrying), and a session
/// refused because its connection was already closed is broken before anything was sent.
public struct ODBCConnectionFactory: ConnectionFactory {
    public typealias Connection = ODBCConnection
    public typealias Target = ODBCConnectString

    /// Timeouts and the statement cache of every connection; the login timeout is replaced
    /// by the pool's connect budget. Defaults to ``ODBCConnection/Configuration/init()``.
    public var configuration: ODBCConnection.Configuration
    /// The query a validation runs. Defaults to `SELECT 1` (on Oracle use `SELECT 1 FROM DUAL`).
    public var validationQuery: String
    /// The environment connections are made in; `nil` uses the process-wide one. Defaults to `nil`.
    public var environment: ODBCEnvironment?
    /// The logins of this factory (and its copies) that their callers abandoned.
    private let abandonedLogins = AbandonedLogins()

    /// Makes a factory with the defaults above.
    public init(
        configuration: ODBCConnection.Configuration = .init(), validationQuery: String = "SELECT 1",
        environment: ODBCEnvironment? = nil
    ) {
        self.configuration = configuration
        self.validationQuery = validationQuery
        self.environment = environment
    }

    /// Connects with the login timeout set to `timeout` (ODBC rounds it up to whole seconds)
    /// and gives up when `timeout` itself has passed, whatever the driver does.
    ///
    /// - Throws: ``ODBCError``: the driver's, or ``ODBCError/Kind/timedOut`` at the budget.
    public func makeConnection(to target: ODBCConnectString, timeout: Duration) async throws -> ODBCConnection {
        var settings = configuration
        settings.loginTimeout = timeout
        let (configuration, environment, abandonedLogins) = (settings, environment, abandonedLogins)
        return try await withThrowingTaskGroup(of: ODBCConnection?.self) { group in
            group.addTask {
                try await ODBCConnection.connect(
                    target, environment: environment, configuration: configuration, alsoCountingIn: abandonedLogins)
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.nextResult()
            group.cancelAll()
            let second = await group.nextResult()
            // A login that finished after the timer, or after the caller was cancelled, is closed
            // here, so that nothing of the attempt outlives it.
            if case .success(let late?)? = second {
                await late.close()
            }
            return try Self.winner(first, timeout: timeout)
        }
    }

    /// Waits for the logins this factory's callers abandoned (a pool shutting down while they
    /// ran), each until it has disconnected or its login timeout and three seconds more have
    /// passed: a pool's `run()` returns only after them. Logins of other factories sharing the
    /// environment are not waited for (``ODBCEnvironment/waitForAbandonedLogins()`` does that).
    ///
    /// - Returns: How many of them still run: 0 unless a driver overran its login timeout.
    public func awaitAbandonedAttempts() async -> Int {
        await abandonedLogins.wait()
    }

    public func close(_ connection: ODBCConnection) async {
        await connection.close()
    }

    /// Runs ``validationQuery``: a round trip, so a connection the server dropped is found.
    nonisolated(nonsending) public func validate(_ connection: ODBCConnection) async -> Bool {
        await connection.isAlive(checkingWith: validationQuery)
    }

    public func classify(_ error: any Error) -> ConnectionFailureKind {
        guard let error = error as? ODBCError else {
            return .other
        }
        switch error.kind {
        case .connectionLost: return .broken
        case .outcomeUnknown: return .outcomeUnknown
        case .authentication: return .authentication
        case .connectionClosed: return .brokenBeforeSend
        default: return .other
        }
    }

    /// `SQLCancel` on the running statement, without waiting.
    public func cancelOperation(on connection: ODBCConnection) {
        connection.cancelRunningStatement()
    }

    /// The connection's own thread: a task that ``ConnectionThreadExecutor`` runs there is lent
    /// this connection first.
    public func threadAffinity(of connection: ODBCConnection) -> ThreadAffinity? {
        connection.threadAffinity
    }

    /// Rolls back what the last user left open; `false` when that failed.
    nonisolated(nonsending) public func reset(_ connection: ODBCConnection) async throws -> Bool {
        await connection.reset()
    }

    /// Whether the last session left nothing open on a connection that is still open.
    public func isClean(_ connection: ODBCConnection) -> Bool {
        connection.isClean
    }
}

extension ODBCConnectionFactory {
    /// The connection when the login finished first.
    private static func winner(_ first: Result<ODBCConnection?, any Error>?, timeout: Duration) throws -> ODBCConnection
    {
        switch first {
        case .success(let connection?)?:
            return connection
        case .failure(let error)?:
            throw error
        default:
            throw ODBCError(
                kind: .timedOut, operation: "SQLDriverConnectW", message: "the login did not finish within \(timeout)")
        }
    }
}
