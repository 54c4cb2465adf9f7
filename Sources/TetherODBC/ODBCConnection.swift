import Synchronization
import TetherPool

/// One ODBC connection with a thread of its own.
///
/// Every ODBC call of the connection runs on that thread, never on Swift's cooperative pool.
/// ``withSession(_:)`` hops to the thread once, runs all statements of its closure there, and
/// hops back: a unit of work costs one hop however many statements it runs.
///
/// ```swift
/// let connection = try await ODBCConnection.connect(
///     ODBCConnectString(driver: "SQLite3", database: path))
/// let count = try await connection.withSession { session in
///     try session.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, name TEXT)")
///     try session.execute("INSERT INTO jobs (name) VALUES (?)", [.text("first")])
///     return try session.query("SELECT count(*) FROM jobs")[0].decode(Int.self, at: 0)
/// }
/// await connection.close()
/// ```
///
/// Cancelling the task that awaits ``withSession(_:)`` calls `SQLCancel` on the statement that
/// is running and makes every later statement of that session throw ``ODBCError/Kind/cancelled``.
public final class ODBCConnection: Sendable {
    private let thread: ConnectionThread
    private let cancelSlot: CancelSlot
    private let resetFlag: ResetFlag
    private let closed = Atomic<Bool>(false)

    /// The connect string, its password hidden when printed.
    public let connectString: ODBCConnectString
    /// The settings the connection was made with.
    public let configuration: Configuration

    private init(
        thread: ConnectionThread, cancelSlot: CancelSlot, resetFlag: ResetFlag, connectString: ODBCConnectString,
        configuration: Configuration
    ) {
        self.thread = thread
        self.cancelSlot = cancelSlot
        self.resetFlag = resetFlag
        self.connectString = connectString
        self.configuration = configuration
    }

    /// Connects, with the login timeout of `configuration` always set.
    ///
    /// Cancelling the calling task returns at once with ``ODBCError/Kind/cancelled``; the
    /// thread finishes the login in the background (bounded by the login timeout), then
    /// disconnects and ends. ``ODBCEnvironment/waitForAbandonedLogins()`` waits for such logins.
    ///
    /// - Parameters:
    ///   - connectString: the driver and its attributes.
    ///   - environment: the ODBC environment; defaults to one shared by the process.
    ///   - configuration: timeouts and the statement cache. Defaults to ``Configuration/init()``.
    /// - Throws: ``ODBCError`` with the driver's SQLSTATE and message (never the password).
    public static func connect(
        _ connectString: ODBCConnectString, environment: ODBCEnvironment? = nil,
        configuration: Configuration = Configuration()
    ) async throws -> ODBCConnection {
        try await connect(connectString, environment: environment, configuration: configuration, alsoCountingIn: nil)
    }

    /// Connects as above; a login abandoned by its caller is counted in `alsoCountingIn` too,
    /// besides its environment (a factory's own count, which its pool waits for).
    static func connect(
        _ connectString: ODBCConnectString, environment: ODBCEnvironment?, configuration: Configuration,
        alsoCountingIn factoryCount: AbandonedLogins?
    ) async throws -> ODBCConnection {
        try connectString.validate()
        try configuration.validate()
        let environment = try environment ?? ODBCEnvironment.shared.get()
        let cancelSlot = CancelSlot()
        let resetFlag = ResetFlag()
        let thread = ConnectionThread {
            ConnectionCore(
                environment: environment, configuration: configuration, secrets: Secrets(connectString.secrets),
                cancelSlot: cancelSlot, resetFlag: resetFlag)
        }
        let login = Handoff<Void>()
        let counts = [environment.abandonedLogins] + [factoryCount].compactMap { $0 }
        let abandonment = AbandonedLogins.Record(counts: counts)
        do {
            try await withTaskCancellationHandler {
                try await login.wait { login in
                    _ = thread.submit { core in
                        let result = Result { () throws(ODBCError) in try core.connect(connectString) }
                        if !login.resume(with: result.mapError { $0 }) {
                            core.shutdown()
                            // Counted until the thread is about to end, not only until it
                            // disconnected: a process may exit as soon as the count is 0.
                            if let mailbox = Mailbox.current {
                                mailbox.atExit { abandonment.ended() }
                            } else {
                                abandonment.ended()
                            }
                        }
                    }
                }
            } onCancel: {
                // Counted before it is abandoned, so that the thread's `ended` always comes after.
                // It may still wait for its turn among logins, then runs up to its timeout.
                let timeout = Duration.seconds(configuration.loginTimeout.wholeSecondsRoundedUp)
                let deadline = ContinuousClock.now + LoginGate.longestWait + timeout + .seconds(2)
                abandonment.abandoned(deadline: deadline)
                if !login.abandon(throwing: ODBCError.cancelled("SQLDriverConnectW")) {
                    abandonment.ended()
                }
            }
        } catch let error as ODBCError where error.kind != .cancelled {
            _ = await thread.stop { $0.shutdown() }
            throw error
        }
        return ODBCConnection(
            thread: thread, cancelSlot: cancelSlot, resetFlag: resetFlag, connectString: connectString,
            configuration: configuration)
    }

    /// Connects with a connect string given as text, such as `Driver=SQLite3;Database=/tmp/x.db`.
    ///
    /// - Throws: ``ODBCError`` when the text does not parse or the login fails.
    public static func connect(
        _ connectString: String, environment: ODBCEnvironment? = nil, loginTimeout: Duration = .seconds(10)
    ) async throws -> ODBCConnection {
        var configuration = Configuration()
        configuration.loginTimeout = loginTimeout
        return try await connect(
            ODBCConnectString(parsing: connectString), environment: environment, configuration: configuration)
    }

    /// Runs `body` on the connection's thread and returns its result.
    ///
    /// - Throws: what `body` throws; ``ODBCError/Kind/connectionClosed`` after ``close()``;
    ///   ``ODBCError/Kind/cancelled`` when the calling task was cancelled first.
    @discardableResult
    nonisolated(nonsending) public func withSession<R: Sendable>(_ body: @Sendable (ODBCSession) throws -> R)
        async throws -> R
    {
        // A task that ConnectionThreadExecutor runs on this very thread needs no hop, unless it
        // is on an actor: a blocking ODBC call must never hold one (an actor's code may run on a
        // connection thread when its task prefers ConnectionThreadExecutor).
        if Self.isNoActor(#isolation), let core = thread.beginSessionHere() {
            defer { thread.endSessionHere() }
            let token = core.inPlaceToken
            token.reuse()
            return try withSessionCancellation(cancelSlot, token) { try core.runSession(token, body) }
        }
        let token = SessionToken()
        return try await withTaskCancellationHandler {
            // Not yet: a session ending before its caller suspends leaves it on its thread: tasks can stay crossed.
            // `body` does not escape: the caller waits until the thread has run it. Taking it
            // non-escaping spares every session a heap allocation for the caller's closure.
            try await withoutActuallyEscaping(body) { body in
                let lent = LentBody(body)
                return try await withUnsafeThrowingContinuation { continuation in
                    let accepted = thread.submit { [thread] core in
                        do {
                            continuation.resume(returning: try thread.runSessionJob { try lent.run(token, on: core) })
                        } catch {
                            continuation.resume(throwing: error)
                        }
                    }
                    if !accepted {
                        lent.forget()
                        continuation.resume(throwing: ODBCError.closed("withSession"))
                    }
                }
            }
        } onCancel: {
            cancelSlot.cancel(token)
        }
    }

    /// Whether `isolation`, a caller's `#isolation`, is no actor. A function of its own: the
    /// comparison written out in `withSession` crashes the 6.3 optimiser (CopyPropagation).
    private static func isNoActor(_ isolation: (any Actor)?) -> Bool {
        isolation == nil
    }

    /// Rolls back an open or aborted transaction and turns autocommit back on, so the next
    /// user starts clean. Returns `false` when that failed: discard the connection.
    ///
    /// A connection whose last session left nothing open (autocommit on, no SQL `BEGIN`
    /// without its `COMMIT` or `ROLLBACK`) is clean without a trip to its thread.
    nonisolated(nonsending) public func reset() async -> Bool {
        guard resetFlag.needsReset.load(ordering: .acquiring) else {
            return !isClosed
        }
        return await withCheckedContinuation { continuation in
            let accepted = thread.submit { core in
                continuation.resume(returning: core.reset())
            }
            if !accepted {
                continuation.resume(returning: false)
            }
        }
    }

    /// Whether the connection answers `sql` (a cheap query such as `SELECT 1`) without error.
    ///
    /// A real round trip: it finds connections the server dropped while they sat idle.
    /// A statement that answers with no rows, or with none at all (`SET ...`), counts as alive.
    nonisolated(nonsending) public func isAlive(checkingWith sql: String = "SELECT 1") async -> Bool {
        // The body returns nothing: `try?` would flatten a row that is `nil` into a failure.
        (try? await withSession { _ = try $0.queryFirst(sql) }) != nil
    }

    /// Rolls back what is open, disconnects, and ends the thread; returns once the thread has
    /// ended. Later calls throw ``ODBCError/Kind/connectionClosed``. Closing twice is harmless.
    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else {
            return
        }
        _ = await thread.stop { $0.shutdown() }
    }

    /// Stops the statement running on this connection, from any thread, without waiting.
    ///
    /// The session that runs it sees ``ODBCError/Kind/cancelled``; the connection stays usable.
    public func cancelRunningStatement() {
        cancelSlot.cancelRunning()
    }

    /// The kernel's id of the connection's thread.
    var threadID: Int32 { thread.threadID }

    /// The mark of the connection's thread, for a pool's ``ThreadAffinity``.
    public var threadAffinity: ThreadAffinity? { thread.affinity }

    /// Whether ``close()`` was called.
    public var isClosed: Bool { closed.load(ordering: .acquiring) }

    /// Whether the connection is open and its last session left nothing for ``reset()`` to do;
    /// read without a trip to its thread.
    public var isClean: Bool { !resetFlag.needsReset.load(ordering: .acquiring) && !isClosed }
}

/// A session's body lent to the connection's thread for one run.
///
/// The thread lets go of the body before it resumes the caller, so that the caller's
/// `withoutActuallyEscaping` finds it unescaped, while the job holding this box may live a
/// moment longer on the thread.
private final class LentBody<R>: @unchecked Sendable {
    // Set by the caller before the job is posted, taken by the thread that runs it, once.
    private var body: (@Sendable (ODBCSession) throws -> R)?

    init(_ body: @escaping @Sendable (ODBCSession) throws -> R) {
        self.body = body
    }

    func run(_ token: SessionToken, on core: ConnectionCore) throws -> R {
        let body = self.body.take()!
        return try core.runSession(token, body)
    }

    /// Lets go of the body of a job the thread refused.
    func forget() {
        body = nil
    }
}
