import CTetherODBC

/// How a connection handle is let go when its connection ends.
///
/// The driver manager frees only a disconnected handle: `SQLFreeHandle` on a connected one
/// fails with HY010 and frees nothing. A driver refuses `SQLDisconnect` while a transaction
/// is open (25000), so a refused disconnect is followed by a rollback at the driver and one
/// more try. A handle still connected after that cannot be freed by any ODBC call; it is
/// reported instead (see ``ODBCEnvironment/connectionHandlesLeftAllocated``), with the
/// driver's answer, rather than dropped without a word.
struct ConnectionRelease {
    /// `SQLDisconnect`; `true` when it succeeded.
    var disconnect: () -> Bool
    /// `SQLEndTran` with `SQL_ROLLBACK`, whatever its outcome.
    var rollback: () -> Void
    /// `SQLFreeHandle`; `true` when it succeeded.
    var free: () -> Bool
    /// The diagnostic records of the last call.
    var diagnostics: () -> [ODBCDiagnostic]

    /// Disconnects when `connected`, then frees; `nil` when the handle was freed, else why not.
    func run(connected: Bool) -> ODBCError? {
        if connected && !disconnect() {
            rollback()
            guard disconnect() else {
                return ODBCError(
                    kind: .other, operation: "SQLDisconnect",
                    message: "the driver refused to disconnect, also after a rollback; the handle stays allocated",
                    diagnostics: diagnostics())
            }
        }
        guard free() else {
            return ODBCError(
                kind: .other, operation: "SQLFreeHandle",
                message: "the driver manager refused to free the connection handle", diagnostics: diagnostics())
        }
        return nil
    }
}

extension ConnectionRelease {
    /// The release of `handle` through unixODBC.
    static func driver(_ handle: SQLHDBC, secrets: Secrets) -> ConnectionRelease {
        ConnectionRelease(
            disconnect: { ctether_SQL_SUCCEEDED(SQLDisconnect(handle)) != 0 },
            rollback: { _ = SQLEndTran(SQLSMALLINT(SQL_HANDLE_DBC), handle, SQLSMALLINT(SQL_ROLLBACK)) },
            free: { ctether_SQL_SUCCEEDED(SQLFreeHandle(SQLSMALLINT(SQL_HANDLE_DBC), handle)) != 0 },
            diagnostics: { Diagnostics.read(SQLSMALLINT(SQL_HANDLE_DBC), handle, redacting: secrets) })
    }
}
