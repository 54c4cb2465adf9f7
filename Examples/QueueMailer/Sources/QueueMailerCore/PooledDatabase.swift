import TetherODBC
import TetherPool

/// The service's database: a hot-swappable ``ConnectionPool`` of ODBC connections.
public struct PooledDatabase: QueueDatabase {
    /// The pool; SIGHUP swaps it to a new connect string.
    public let pool: ConnectionPool<ODBCConnectionFactory>

    public init(pool: ConnectionPool<ODBCConnectionFactory>) {
        self.pool = pool
    }

    public func withSession<R: Sendable>(_ body: @escaping @Sendable (ODBCSession) throws -> R) async throws -> R {
        try await pool.withConnection { connection in try await connection.withSession(body) }
    }
}
