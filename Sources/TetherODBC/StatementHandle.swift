import CTetherODBC

/// One prepared ODBC statement handle, owned by the connection thread.
final class StatementHandle: CachedStatement {
    let handle: SQLHSTMT
    let sql: String
    /// `true` when the SQL leaves a transaction open (`BEGIN`, also after a comment or in a
    /// batch), `false` when it ends one (`COMMIT`, `ROLLBACK` but not `ROLLBACK TO`), else
    /// `nil`; see ``TransactionControl/effect(of:)``.
    let transactionControl: Bool?
    /// Whether the SQL creates, drops or alters something (`CREATE`, `DROP`, `ALTER`), also in
    /// a batch: once it ran, the connection's other prepared statements may describe a table
    /// that is no longer there.
    let changesSchema: Bool
    /// Whether the SQL rolls back (`ROLLBACK`, also `ROLLBACK TO` a savepoint; PostgreSQL's
    /// `ABORT`), also in a batch: it may undo DDL that statements prepared since then describe.
    let rollsBack: Bool
    /// Whether the SQL names each result column (``SQLPieces/namesItsColumns``): once a run
    /// described them, later runs read rows without asking the driver for the count again.
    let namesItsColumns: Bool
    /// Unchecked: only the connection's thread runs the statement, one execution at a time, and
    /// the reader passed it `inout` calls only the driver. A checked access costs a thread-local
    /// lookup on every execution.
    @exclusivity(unchecked) private var shape: ResultReader.Shape?
    var isTaken = false
    var lastUse: UInt64 = 0

    /// Allocates a handle on `connection` and prepares `sql` on it.
    init(connection: SQLHDBC, sql: String, secrets: Secrets, queryTimeoutSeconds: Int) throws(ODBCError) {
        var handle: SQLHSTMT? = nil
        let allocated = SQLAllocHandle(SQLSMALLINT(SQL_HANDLE_STMT), connection, &handle)
        try check(allocated, "SQLAllocHandle", SQL_HANDLE_DBC, connection, secrets)
        guard let handle else {
            throw ODBCError(kind: .other, operation: "SQLAllocHandle", message: "no statement handle")
        }
        self.handle = handle
        self.sql = sql
        self.transactionControl = TransactionControl.effect(of: sql)
        let pieces = SQLPieces(sql)
        let statements = pieces.statements
        self.changesSchema = statements.contains { ["CREATE", "DROP", "ALTER"].contains($0[0]) }
        self.rollsBack = statements.contains { ["ROLLBACK", "ABORT"].contains($0[0]) }
        self.namesItsColumns = pieces.namesItsColumns
        if queryTimeoutSeconds > 0 {
            let timeout = ctether_SQLPOINTER_FROM_ULEN(SQLULEN(queryTimeoutSeconds))
            let set = SQLSetStmtAttr(handle, SQLINTEGER(SQL_ATTR_QUERY_TIMEOUT), timeout, 0)
            try check(set, "SQLSetStmtAttr(SQL_ATTR_QUERY_TIMEOUT)", SQL_HANDLE_STMT, handle, secrets)
        }
        var text = sql.odbcWide
        let prepared = SQLPrepareW(handle, &text, SQLINTEGER(SQL_NTS))
        try check(prepared, "SQLPrepareW", SQL_HANDLE_STMT, handle, secrets)
    }

    deinit {
        SQLFreeHandle(SQLSMALLINT(SQL_HANDLE_STMT), handle)
    }

    /// Binds `parameters`, executes, and returns what `wanted` names: the row count, every
    /// row, or the first row.
    ///
    /// The cursor is closed and the parameters unbound before returning, on success and failure,
    /// so the handle is ready for the next execution and points into no freed buffer.
    func run(
        _ parameters: [ODBCValue], _ wanted: StatementResult.Wanted, session: ConnectionCore
    ) throws(ODBCError) -> StatementResult {
        defer {
            SQLFreeStmt(handle, SQLUSMALLINT(SQL_CLOSE))
            if !parameters.isEmpty {
                SQLFreeStmt(handle, SQLUSMALLINT(SQL_RESET_PARAMS))
            }
        }
        var secrets = session.secrets
        let buffers = parameters.isEmpty ? nil : ParameterBuffers(count: parameters.count)
        if let buffers {
            try buffers.bind(parameters, to: handle, secrets: secrets)
            secrets = buffers.secrets
        }
        let status = try session.execute(self) { SQLExecute(handle) }
        if status != SQLRETURN(SQL_NO_DATA) {
            try session.checkStatement(status, "SQLExecute", handle, secrets)
        }
        defer { withExtendedLifetime(buffers) {} }
        return try read(wanted, hasResult: status != SQLRETURN(SQL_NO_DATA), session: session, secrets: secrets)
    }

    /// Reads what `wanted` names from the execution that just ended.
    ///
    /// A cancel can land after `SQLExecute` returned, before the thread marked the statement
    /// done; psqlODBC then closes the cursor, and the next call fails with a function
    /// sequence error (HY010). Such a failure in a cancelled session is reported as cancelled
    /// (see ``ConnectionCore/reclassified(_:)``).
    func read(
        _ wanted: StatementResult.Wanted, hasResult: Bool, session: ConnectionCore, secrets: Secrets
    ) throws(ODBCError) -> StatementResult {
        var result = StatementResult()
        do throws(ODBCError) {
            let reader = ResultReader(statement: handle, secrets: secrets)
            // A query's callers read rows, not the count: one driver call less per query.
            switch wanted {
            case .rowCount:
                var rowCount: SQLLEN = -1
                try check(SQLRowCount(handle, &rowCount), "SQLRowCount", SQL_HANDLE_STMT, handle, secrets)
                result.rowCount = Int(rowCount)
            case .rows where hasResult:
                result.rows = try reader.readAll(shape: &shape, fixed: namesItsColumns)
            case .firstRow where hasResult:
                result.firstRow = try reader.readFirst(shape: &shape, fixed: namesItsColumns)
            case .rows, .firstRow:
                break
            }
        } catch {
            throw session.reclassified(error)
        }
        return result
    }
}

/// What one execution of a statement gave back; only the part asked for is filled in.
struct StatementResult {
    enum Wanted {
        case rowCount, rows, firstRow
    }

    /// Rows changed, -1 when the driver cannot tell or it was not asked for.
    var rowCount = -1
    var rows: [ODBCRow] = []
    var firstRow: ODBCRow?
}
