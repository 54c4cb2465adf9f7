import TetherODBC
import TetherPool

/// Runs units of database work: one hop to a connection's thread per unit.
///
/// The service uses a ``ConnectionPool`` (hot-swappable on SIGHUP, reconnecting after the
/// database went away); one-shot commands use a single connection.
public protocol QueueDatabase: Sendable {
    /// Runs `body` with a session on some connection.
    func withSession<R: Sendable>(_ body: @escaping @Sendable (ODBCSession) throws -> R) async throws -> R
}

/// One connection, for the one-shot commands (`migrate`, `enqueue`, `status`, `requeue`).
public struct SingleConnectionDatabase: QueueDatabase {
    /// The connection.
    public let connection: ODBCConnection

    public init(connection: ODBCConnection) {
        self.connection = connection
    }

    public func withSession<R: Sendable>(_ body: @escaping @Sendable (ODBCSession) throws -> R) async throws -> R {
        try await connection.withSession(body)
    }
}
