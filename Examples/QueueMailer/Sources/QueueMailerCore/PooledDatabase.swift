import TetherODBC
import TetherPool

/// The service's database: a hot-swappable ``ConnectionPool`` of ODBC connections.
public struct PooledDatabase: QueueDatabase {
    /// The pool; SIGHUP swaps it to a new connect string.
    public let pool: ConnectionPool<MailerODBCFactory>

    public init(pool: ConnectionPool<MailerODBCFactory>) {
        self.pool = pool
    }

    public func withSession<R: Sendable>(_ body: @escaping @Sendable (ODBCSession) throws -> R) async throws -> R {
        try await pool.withConnection { connection in try await connection.withSession(body) }
    }
}

// Not yet: stands in for TetherODBC's ODBCConnectionFactory, which had not landed; two factories to keep in step.

/// Makes the ODBC connections of the mailer's database pool; the target is the connect string
/// with the password, which is never logged.
///
/// SQLSTATE decides what a failure means for the connection (TetherODBC's classification):
/// connection lost evicts it, an unknown commit outcome is never replayed, a refused login
/// stops creation retrying.
public struct MailerODBCFactory: ConnectionFactory {
    public typealias Connection = ODBCConnection
    public typealias Target = String

    public init() {}

    public func makeConnection(to target: String, timeout: Duration) async throws -> ODBCConnection {
        try await ODBCConnection.connect(target, loginTimeout: timeout)
    }

    public func close(_ connection: ODBCConnection) async {
        await connection.close()
    }

    public func classify(_ error: any Error) -> ConnectionFailureKind {
        guard let error = error as? ODBCError else { return .other }
        switch error.kind {
        case .connectionLost, .connectionClosed: return .broken
        case .outcomeUnknown: return .outcomeUnknown
        case .authentication: return .authentication
        default: return .other
        }
    }

    public func cancelOperation(on connection: ODBCConnection) {
        connection.cancelRunningStatement()
    }

    public func reset(_ connection: ODBCConnection) async throws -> Bool {
        await connection.reset()
    }
}
