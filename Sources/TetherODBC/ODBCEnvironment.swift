import CTetherODBC

/// The unixODBC environment handle, set to ODBC 3 behaviour.
///
/// One environment serves every connection of a process; it is safe to share between threads
/// (the driver manager serialises what needs it). Connections keep their environment alive.
/// Most code never makes one: ``ODBCConnection/connect(_:environment:configuration:)`` uses a
/// process-wide environment when none is passed.
public final class ODBCEnvironment: Sendable {
    // An environment handle is only used to allocate connection handles, which unixODBC
    // serialises itself; the handle never changes after `init`.
    nonisolated(unsafe) let handle: SQLHENV

    /// Allocates an environment and declares ODBC 3 behaviour.
    ///
    /// - Throws: ``ODBCError`` when the driver manager cannot allocate the handle.
    public init() throws(ODBCError) {
        var handle: SQLHENV? = nil
        let allocated = SQLAllocHandle(SQLSMALLINT(SQL_HANDLE_ENV), nil, &handle)
        guard ctether_SQL_SUCCEEDED(allocated) != 0, let handle else {
            throw ODBCError(
                kind: .other, operation: "SQLAllocHandle", message: "no ODBC environment (code \(allocated))")
        }
        let version = ctether_SQLPOINTER_FROM_ULEN(SQLULEN(SQL_OV_ODBC3))
        let set = SQLSetEnvAttr(handle, SQLINTEGER(SQL_ATTR_ODBC_VERSION), version, 0)
        guard ctether_SQL_SUCCEEDED(set) != 0 else {
            let records = Diagnostics.read(SQLSMALLINT(SQL_HANDLE_ENV), handle, redacting: Secrets())
            SQLFreeHandle(SQLSMALLINT(SQL_HANDLE_ENV), handle)
            throw ODBCError(operation: "SQLSetEnvAttr", diagnostics: records)
        }
        self.handle = handle
    }

    deinit {
        SQLFreeHandle(SQLSMALLINT(SQL_HANDLE_ENV), handle)
    }

    /// The process-wide environment, made on first use.
    static let shared: Result<ODBCEnvironment, ODBCError> = Result { () throws(ODBCError) in
        try ODBCEnvironment()
    }
}
