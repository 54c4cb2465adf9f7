/// The statements of one ``ODBCConnection/withSession(_:)`` call, all run on the connection's
/// own thread.
///
/// A session is valid only inside the closure it was given to; it is not `Sendable`, so it
/// cannot leave that closure. Statements given as SQL text are prepared once per connection
/// and kept in a small cache (see ``ODBCConnection/Configuration/statementCacheCapacity``).
///
/// A value, not an object: it names the connection's state and the `withSession` call it
/// belongs to, and is valid while that call runs. Making none costs no allocation per session.
public struct ODBCSession {
    let core: ConnectionCore
    /// The connection's count of sessions when this one began: it names this `withSession`
    /// call, also when a later session has the same token (one run in place).
    let number: Int

    init(core: ConnectionCore, number: Int) {
        self.core = core
        self.number = number
    }

    /// Runs a statement and returns the number of rows it changed (-1 when the driver cannot tell).
    ///
    /// - Parameters:
    ///   - sql: one statement, with `?` for each parameter.
    ///   - parameters: the values for the `?` markers, in order.
    /// - Throws: ``ODBCError``; its message never holds a parameter's value.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [ODBCValue] = []) throws(ODBCError) -> Int {
        try run(sql, parameters, .rowCount).rowCount
    }

    /// Runs a query and returns every row.
    ///
    /// - Throws: ``ODBCError``; its message never holds a parameter's value.
    public func query(_ sql: String, _ parameters: [ODBCValue] = []) throws(ODBCError) -> [ODBCRow] {
        try run(sql, parameters, .rows).rows
    }

    /// Runs a query and returns its first row, or `nil` when it has none; the rows after it
    /// are not read.
    ///
    /// Cheaper than `query(sql).first`: one fetch less and no array of rows.
    ///
    /// - Throws: ``ODBCError``; its message never holds a parameter's value.
    public func queryFirst(_ sql: String, _ parameters: [ODBCValue] = []) throws(ODBCError) -> ODBCRow? {
        try run(sql, parameters, .firstRow).firstRow
    }

    /// Prepares `sql` for repeated execution within this session.
    public func prepare(_ sql: String) throws(ODBCError) -> ODBCStatement {
        try checkValid("prepare")
        return ODBCStatement(handle: try core.prepare(sql), session: self)
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// Autocommit is off for the duration and back on afterwards. A rollback that fails after
    /// `body` threw is not reported over the body's error; the connection is reset when it is
    /// returned or closed.
    @discardableResult
    public func transaction<R>(_ body: () throws -> R) throws -> R {
        try checkValid("transaction")
        try core.setAutocommit(false)
        let result: R
        do {
            result = try body()
        } catch {
            try? core.endTransaction(commit: false)
            try? core.setAutocommit(true)
            throw error
        }
        try core.endTransaction(commit: true)
        try core.setAutocommit(true)
        return result
    }

    /// Whether autocommit is on (the default): each statement commits by itself.
    public var isAutocommit: Bool { !core.isManualCommit }

    /// Whether a transaction is open: autocommit is off and a statement ran since the last
    /// commit or rollback, or SQL `BEGIN` ran without its `COMMIT` or `ROLLBACK`.
    public var isInTransaction: Bool { (core.isManualCommit && core.hasOpenWork) || core.hasSQLTransaction }

    /// Turns autocommit on or off; turning it on commits what is open.
    public func setAutocommit(_ on: Bool) throws(ODBCError) {
        try checkValid("setAutocommit")
        try core.setAutocommit(on)
    }

    /// Commits the open transaction.
    public func commit() throws(ODBCError) {
        try checkValid("commit")
        try core.endTransaction(commit: true)
    }

    /// Rolls back the open transaction.
    public func rollback() throws(ODBCError) {
        try checkValid("rollback")
        try core.endTransaction(commit: false)
    }

    private func run(
        _ sql: String, _ parameters: [ODBCValue], _ wanted: StatementResult.Wanted
    ) throws(ODBCError) -> StatementResult {
        try checkValid("execute")
        let (statement, wasCached) = try core.cachedStatement(for: sql)
        do {
            let result = try statement.run(parameters, wanted, session: core)
            core.reuse(statement)
            return result
        } catch {
            core.drop(statement)
            // PostgreSQL refuses a plan whose result columns changed since it was prepared (DDL
            // since then): the failed handle is dropped and the statement, which ran alone and
            // changed nothing, is prepared against the table as it is now and run once more.
            guard wasCached && error.sqlState == "0A000" && core.isAutocommitStatement else {
                throw error
            }
            let fresh = try core.prepare(sql)
            let result = try fresh.run(parameters, wanted, session: core)
            core.reuse(fresh)
            return result
        }
    }

    /// Whether the `withSession` call this session was given to still runs: the connection's
    /// running session is this one. `user` names what was used: the session or its statement.
    fileprivate func checkValid(_ operation: String, user: String = "the session") throws(ODBCError) {
        guard core.session != nil && core.sessionNumber == number else {
            throw .invalidArgument(operation, "\(user) was used after its withSession call returned")
        }
    }
}

/// A statement prepared once and run many times within one session.
///
/// Like its session, it refuses to run once the session's `withSession` call has returned.
public final class ODBCStatement {
    private let handle: StatementHandle
    /// The session that prepared it.
    private let session: ODBCSession

    init(handle: StatementHandle, session: ODBCSession) {
        self.handle = handle
        self.session = session
    }

    deinit {
        session.core.retire(handle)
    }

    /// The SQL text it was prepared from.
    public var sql: String { handle.sql }

    /// Runs the statement and returns the number of rows it changed.
    @discardableResult
    public func execute(_ parameters: [ODBCValue] = []) throws(ODBCError) -> Int {
        try checkValid("execute")
        return try handle.run(parameters, .rowCount, session: session.core).rowCount
    }

    /// Runs the statement and returns every row.
    public func query(_ parameters: [ODBCValue] = []) throws(ODBCError) -> [ODBCRow] {
        try checkValid("query")
        return try handle.run(parameters, .rows, session: session.core).rows
    }

    /// Runs the statement and returns its first row, or `nil`; the rows after it are not read.
    public func queryFirst(_ parameters: [ODBCValue] = []) throws(ODBCError) -> ODBCRow? {
        try checkValid("queryFirst")
        return try handle.run(parameters, .firstRow, session: session.core).firstRow
    }

    private func checkValid(_ operation: String) throws(ODBCError) {
        try session.checkValid(operation, user: "the statement")
    }
}
