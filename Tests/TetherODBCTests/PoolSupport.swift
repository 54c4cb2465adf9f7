import Synchronization
import TetherODBC
import TetherPool

typealias ODBCPool = ConnectionPool<ODBCConnectionFactory>

/// Runs `body` with a running pool of ODBC connections to `target`, shut down afterwards.
func withPool<R>(
    _ target: ODBCConnectString, configuration: PoolConfiguration = .testing,
    factory: ODBCConnectionFactory = ODBCConnectionFactory(), _ body: (ODBCPool) async throws -> R
) async throws -> R {
    let pool = try ODBCPool(factory: factory, target: target, configuration: configuration)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await pool.run() }
        do {
            let result = try await body(pool)
            await pool.shutdown()
            try await group.waitForAll()
            return result
        } catch {
            await pool.shutdown()
            try await group.waitForAll()
            throw error
        }
    }
}

extension PoolConfiguration {
    /// Small and quick, for tests against the throwaway servers.
    static var testing: PoolConfiguration {
        var configuration = PoolConfiguration()
        configuration.minimumConnections = 1
        configuration.maximumConnections = 4
        configuration.connectTimeout = .seconds(3)
        configuration.acquireTimeout = .seconds(10)
        configuration.keepAliveThreshold = nil
        return configuration
    }

    func with(_ change: (inout PoolConfiguration) -> Void) -> PoolConfiguration {
        var copy = self
        change(&copy)
        return copy
    }
}

extension ODBCPool {
    /// The user and database a query on a pooled connection runs as.
    func whoAmI(idempotent: Bool = true) async throws -> String {
        try await withConnection(idempotent: idempotent) { connection in
            try await connection.withSession { session in
                let row = try session.query("SELECT current_user, current_database()")[0]
                return try row.decode(String.self, at: 0) + "@" + row.decode(String.self, at: 1)
            }
        }
    }
}

/// Counts calls from concurrent tasks.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)

    @discardableResult
    func increment() -> Int {
        value.wrappingAdd(1, ordering: .relaxed).newValue
    }

    var count: Int { value.load(ordering: .relaxed) }
}
