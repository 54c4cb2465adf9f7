import CTetherODBC
import Synchronization
import TetherLocking

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
    private let allocatedConnections = Atomic<Int>(0)
    private let leftAllocated = Atomic<Int>(0)
    private let lastRefusal = Locked<ODBCError?>(nil)
    let abandonedLogins = AbandonedLogins()

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

    /// The environment connections use when none is given, made on first use.
    ///
    /// - Throws: ``ODBCError`` when the driver manager cannot allocate it.
    public static var processWide: ODBCEnvironment {
        get throws(ODBCError) { try shared.get() }
    }

    /// Connection handles allocated in this environment and not freed: one for each
    /// ``ODBCConnection`` not yet closed, plus those counted in ``connectionHandlesLeftAllocated``.
    public var connectionHandles: Int { allocatedConnections.load(ordering: .relaxed) }

    /// Connection handles a closed connection could not free because the driver refused to
    /// disconnect, also after a rollback (ODBC frees no connected handle). Each keeps its
    /// driver connection and memory until the process ends; a count above 0 needs a look.
    public var connectionHandlesLeftAllocated: Int { leftAllocated.load(ordering: .relaxed) }

    /// Why the last handle counted in ``connectionHandlesLeftAllocated`` could not be freed:
    /// the refused call and the driver's diagnostics. `nil` while every handle was freed.
    public var lastRefusedRelease: ODBCError? { lastRefusal.withLock { $0 } }

    /// Logins in this environment whose callers stopped waiting (a cancelled task, a pool's
    /// connect budget spent) and that still run on their threads. Each disconnects and ends
    /// when its driver returns, which the login timeout bounds.
    public var abandonedLoginsRunning: Int { abandonedLogins.count }

    /// Waits until the logins abandoned before the call have ended, each for at most its login
    /// timeout and three seconds more (its turn among logins, and a margin); logins abandoned
    /// meanwhile do not lengthen the wait. Cancelling the calling task does not shorten it:
    /// it is cleanup.
    ///
    /// Await it before the process exits: a login still inside the driver (and OpenSSL) while
    /// the process tears those libraries down can crash it. ``ODBCConnectionFactory`` does
    /// this for a `ConnectionPool` at the end of its `run()`.
    ///
    /// - Returns: How many still run: 0 unless a driver overran its login timeout.
    @discardableResult
    public func waitForAbandonedLogins() async -> Int {
        await abandonedLogins.wait()
    }

    func connectionHandleAllocated() {
        allocatedConnections.add(1, ordering: .relaxed)
    }

    func connectionHandleFreed() {
        allocatedConnections.subtract(1, ordering: .relaxed)
    }

    func connectionHandleLeftAllocated(_ refusal: ODBCError) {
        lastRefusal.withLock { $0 = refusal }
        leftAllocated.add(1, ordering: .relaxed)
    }

    /// The process-wide environment, made on first use.
    static let shared: Result<ODBCEnvironment, ODBCError> = Result { () throws(ODBCError) in
        try ODBCEnvironment()
    }
}
