import CTetherODBC

/// The connection handle and everything that lives with it on the connection thread: the
/// transaction state, the statement cache and the session that is running.
///
/// Only the connection's own thread touches a core; see ``ConnectionThread``.
final class ConnectionCore {
    let environment: ODBCEnvironment
    let configuration: ODBCConnection.Configuration
    let cancelSlot: CancelSlot
    let resetFlag: ResetFlag
    /// The connect string's secret values, taken out of every message; fixed at creation, so
    /// reading them costs no exclusivity check on every statement.
    let secrets: Secrets
    var handle: SQLHDBC?
    var isConnected = false
    /// Whether autocommit is off, so a transaction is open or opens with the next statement.
    var isManualCommit = false
    /// Whether a statement ran since the last commit or rollback in manual-commit mode.
    var hasOpenWork = false
    /// Whether SQL text (`BEGIN`, `START TRANSACTION`) opened a transaction the driver does not know of.
    var hasSQLTransaction = false
    /// Whether DDL ran in the transaction open now: rolled back, it leaves the statements
    /// prepared since then describing tables as they no longer are.
    var schemaChangedInTransaction = false
    /// The session running now; `nil` for work outside sessions (reset, shutdown).
    private(set) var session: SessionToken?
    /// Counts sessions: an ``ODBCSession`` is valid while the count is the one it began with,
    /// also when a later session has the same token (one run in place, ``inPlaceToken``).
    private(set) var sessionNumber = 0
    /// The token of every session run in place on this thread, one at a time: such a session
    /// removes its cancellation handler before it ends, so no cancel meant for it arrives
    /// later, and none costs an allocation.
    let inPlaceToken = SessionToken()
    /// Unchecked: only this connection's thread touches the cache, and no cache operation
    /// calls out to code that could reach it again. A checked access costs a thread-local
    /// lookup, twice per statement run.
    @exclusivity(unchecked) var cache: StatementCache<StatementHandle>
    /// Statements let go while an SQL transaction is open, freed once it has ended: psqlODBC
    /// answers the `DEALLOCATE` that freeing one sends by committing that transaction after the
    /// next statement, behind a later `ROLLBACK`'s back.
    var retired: [StatementHandle] = []

    init(
        environment: ODBCEnvironment, configuration: ODBCConnection.Configuration, secrets: Secrets,
        cancelSlot: CancelSlot, resetFlag: ResetFlag
    ) {
        self.environment = environment
        self.secrets = secrets
        self.configuration = configuration
        self.cancelSlot = cancelSlot
        self.resetFlag = resetFlag
        self.cache = StatementCache(capacity: configuration.statementCacheCapacity)
    }

    /// Allocates the handle, sets the login timeout and connects.
    func connect(_ connectString: ODBCConnectString) throws(ODBCError) {
        var allocated: SQLHDBC? = nil
        let status = SQLAllocHandle(SQLSMALLINT(SQL_HANDLE_DBC), environment.handle, &allocated)
        try check(status, "SQLAllocHandle", SQL_HANDLE_ENV, environment.handle, secrets)
        guard let handle = allocated else {
            throw ODBCError(kind: .other, operation: "SQLAllocHandle", message: "no connection handle")
        }
        self.handle = handle
        environment.connectionHandleAllocated()
        let seconds = ctether_SQLPOINTER_FROM_ULEN(SQLULEN(configuration.loginTimeout.wholeSecondsRoundedUp))
        let set = SQLSetConnectAttrW(handle, SQLINTEGER(SQL_ATTR_LOGIN_TIMEOUT), seconds, 0)
        try check(set, "SQLSetConnectAttr(SQL_ATTR_LOGIN_TIMEOUT)", SQL_HANDLE_DBC, handle, secrets)
        var text = connectString.rendered.odbcWide
        // Not yet: a login that waited a second beside a stuck one goes ahead; then the driver's race is back.
        let connected = LoginGate.shared.withTurn {
            SQLDriverConnectW(
                handle, nil, &text, SQLSMALLINT(SQL_NTS), nil, 0, nil, SQLUSMALLINT(SQL_DRIVER_NOPROMPT))
        }
        try check(connected, "SQLDriverConnectW", SQL_HANDLE_DBC, handle, secrets)
        isConnected = true
    }

    /// Runs one session: `body` sees an ``ODBCSession`` that is invalid once it returns.
    ///
    /// It throws rather than returning a `Result`: a `Result` of a generic value costs a
    /// generic metadata lookup on every session.
    func runSession<R>(_ token: SessionToken, _ body: (ODBCSession) throws -> R) throws -> R {
        defer {
            cancelSlot.end()
            session = nil
        }
        guard cancelSlot.begin(token) else {
            throw ODBCError.cancelled("withSession")
        }
        guard isConnected else {
            throw ODBCError.closed("withSession")
        }
        session = token
        sessionNumber &+= 1
        defer {
            resetFlag.needsReset.store(isManualCommit || hasSQLTransaction, ordering: .releasing)
        }
        return try body(ODBCSession(core: self, number: sessionNumber))
    }

    /// The cached prepared statement for `sql`, preparing it on first use.
    func statement(for sql: String) throws(ODBCError) -> StatementHandle {
        try cachedStatement(for: sql).statement
    }

    /// The statement for `sql`, and whether it came from the cache (prepared before now).
    func cachedStatement(for sql: String) throws(ODBCError) -> (statement: StatementHandle, wasCached: Bool) {
        if let cached = cache.take(sql) {
            return (cached, true)
        }
        return (try prepare(sql), false)
    }

    /// Whether a statement runs in a transaction of its own: autocommit on and no SQL `BEGIN`
    /// open, so a statement that failed left nothing behind.
    var isAutocommitStatement: Bool { !isManualCommit && !hasSQLTransaction }

    /// Hands a statement from ``statement(for:)`` back to the cache.
    func reuse(_ statement: StatementHandle) {
        if let letGo = cache.put(statement) {
            retire(letGo)
        }
    }

    /// Forgets a statement from ``statement(for:)`` that failed: the next use prepares it anew.
    func drop(_ statement: StatementHandle) {
        cache.drop(statement)
        retire(statement)
    }

    /// Keeps `statement`, which nobody uses any more, until the SQL transaction open now has
    /// ended; without one it is freed as soon as its last user lets it go.
    func retire(_ statement: StatementHandle) {
        if hasSQLTransaction {
            retired.append(statement)
        }
    }

    func prepare(_ sql: String) throws(ODBCError) -> StatementHandle {
        guard let handle, isConnected else {
            throw .closed("prepare")
        }
        let timeout = configuration.queryTimeout?.wholeSecondsRoundedUp ?? 0
        return try StatementHandle(connection: handle, sql: sql, secrets: secrets, queryTimeoutSeconds: timeout)
    }

    /// Runs the blocking `call` of `statement`, cancellable from other threads.
    func execute(_ statement: StatementHandle, _ call: () -> SQLRETURN) throws(ODBCError) -> SQLRETURN {
        guard let status = cancelSlot.executing(session, statement.handle, call) else {
            throw .cancelled("SQLExecute")
        }
        if isManualCommit {
            hasOpenWork = true
        }
        let failed = ctether_SQL_SUCCEEDED(status) == 0 && status != SQLRETURN(SQL_NO_DATA)
        if let opens = statement.transactionControl {
            // A batch that failed may have stopped between a `BEGIN` and the `COMMIT` after it (or
            // after an earlier `BEGIN`, before its own `COMMIT`): the transaction stays open.
            hasSQLTransaction = opens || failed
            if !hasSQLTransaction {
                retired.removeAll()
            }
        }
        if statement.changesSchema {
            // sqliteodbc keeps a prepared statement's result columns from its first run, so a
            // cached `SELECT *` would go on reading a dropped table's columns: prepare anew.
            // After the transaction state above, so that a batch's `BEGIN` keeps them for now.
            forgetIdleStatements()
            // A batch that ended its transaction (`...; COMMIT`) left nothing to undo.
            schemaChangedInTransaction = !isAutocommitStatement
        } else if schemaChangedInTransaction && (statement.rollsBack || failed) {
            // The rollback (to a savepoint, too) may have undone that DDL: the same again. So
            // may a statement that failed (SQLite's `INSERT OR ROLLBACK`, `RAISE(ROLLBACK)`).
            forgetIdleStatements()
            schemaChangedInTransaction = !isAutocommitStatement
        } else if isAutocommitStatement {
            schemaChangedInTransaction = false
        }
        return status
    }

    /// Forgets every cached statement not running now, so that each is prepared anew.
    func forgetIdleStatements() {
        cache.removeIdle().forEach { retire($0) }
    }

    /// `error` from a statement, reclassified when it says nothing about the connection but the
    /// driver knows more: as lost when the driver reports the connection dead (psqlODBC, in a
    /// transaction, fails on its own `SAVEPOINT` with HY000 "internal SAVEPOINT failed" after
    /// the server ended the backend), else as cancelled when this session was cancelled.
    func reclassified(_ error: ODBCError) -> ODBCError {
        guard error.kind == .other else {
            return error
        }
        let kind: ODBCError.Kind
        if driverReportsDead {
            kind = .connectionLost
        } else if session?.wasCancelled ?? false {
            kind = .cancelled
        } else {
            return error
        }
        return ODBCError(kind: kind, operation: error.operation, message: error.message, diagnostics: error.diagnostics)
    }

    /// Whether the driver says the connection is gone (`SQL_ATTR_CONNECTION_DEAD`); asked only
    /// after a failure, and `false` when the driver cannot tell.
    private var driverReportsDead: Bool {
        guard let handle else {
            return false
        }
        var dead: SQLUINTEGER = 0
        let status = SQLGetConnectAttr(handle, SQLINTEGER(SQL_ATTR_CONNECTION_DEAD), &dead, 0, nil)
        return ctether_SQL_SUCCEEDED(status) != 0 && dead == SQLUINTEGER(SQL_CD_TRUE)
    }

    /// Throws the statement's error, reclassified when this session was cancelled or a query
    /// timeout is set and the server cancelled the statement.
    func checkStatement(_ status: SQLRETURN, _ operation: String, _ statement: SQLHSTMT, _ secrets: Secrets)
        throws(ODBCError)
    {
        guard ctether_SQL_SUCCEEDED(status) == 0 else {
            return
        }
        let records = Diagnostics.read(SQLSMALLINT(SQL_HANDLE_STMT), statement, redacting: secrets)
        var kind = ODBCError.Kind.classify(records)
        if session?.wasCancelled ?? false {
            kind = .cancelled
        } else if kind == .cancelled, configuration.queryTimeout != nil, records.first?.sqlState == "57014" {
            kind = .timedOut
        }
        throw reclassified(ODBCError(operation: operation, diagnostics: records, kind: kind))
    }
}

extension Duration {
    /// Whole seconds, rounded up, at least 1: ODBC timeouts count whole seconds and 0 means none.
    var wholeSecondsRoundedUp: Int {
        let (seconds, attoseconds) = components
        return max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
    }
}
