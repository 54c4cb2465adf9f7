import Foundation
import Testing
import TetherODBC
import TetherTestKit

/// Connect strings for the throwaway servers of `scripts/with-test-servers.sh`.
enum Databases {
    static var servers: TestServers { .current }

    /// The PostgreSQL server as `user` on `database`; the shared password unless one is given.
    static func postgres(
        user: String? = nil, password: String? = nil, database: String? = nil
    ) throws -> ODBCConnectString {
        ODBCConnectString(
            driver: "PostgreSQL Unicode", server: try servers.value("TETHER_PG_HOST"),
            port: try servers.port("TETHER_PG_PORT"), database: try database ?? servers.value("TETHER_PG_DATABASE"),
            user: try user ?? servers.value("TETHER_PG_USER"),
            password: try password ?? servers.value("TETHER_PG_PASSWORD"))
    }

    static var password: String {
        get throws { try servers.value("TETHER_PG_PASSWORD") }
    }

    /// Four targets a pool swaps between under load: the two roles crossed with the two databases.
    static func swapTargets() throws -> [ODBCConnectString] {
        [
            try postgres(),
            try postgres(user: TestServersAlt.user, database: TestServersAlt.database),
            try postgres(user: TestServersAlt.user),
            try postgres(database: TestServersAlt.database),
        ]
    }

    /// A fresh SQLite database file that is removed when `body` returns.
    static func withSQLite<R>(_ body: (ODBCConnectString) async throws -> R) async throws -> R {
        let driver = try servers.value("TETHER_SQLITE_DRIVER")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tether-\(UUID().uuidString).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await body(ODBCConnectString(driver: driver, database: path))
    }

    /// Runs `body` on a new connection that is closed afterwards, also when `body` throws.
    static func with<R>(
        _ connectString: ODBCConnectString, configuration: ODBCConnection.Configuration = .init(),
        _ body: (ODBCConnection) async throws -> R
    ) async throws -> R {
        let connection = try await ODBCConnection.connect(connectString, configuration: configuration)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Runs `sql` as the superuser `tether`, on the test database unless another is named.
    static func administer(_ sql: String..., database: String? = nil) async throws {
        try await with(postgres(database: database)) { connection in
            try await connection.withSession { session in
                for statement in sql {
                    try session.execute(statement)
                }
            }
        }
    }

    /// Polls pg_stat_activity until a backend other than the poller's runs SQL containing
    /// `text`; records an issue after about four seconds without one.
    static func waitUntilRunning(_ text: String) async throws {
        try await with(postgres()) { observer in
            for _ in 0..<200 {
                let count = try await observer.withSession { session in
                    try session.query(
                        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE ? AND pid <> pg_backend_pid()",
                        [.text("%\(text)%")])[0].decode(Int.self, at: 0)
                }
                if count > 0 {
                    return
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            Issue.record("no backend started \(text)")
        }
    }
}

/// Whether the kernel thread `id` of this process still exists.
func threadExists(_ id: Int32) -> Bool {
    FileManager.default.fileExists(atPath: "/proc/self/task/\(id)")
}

extension Trait where Self == ConditionTrait {
    static var needsPostgres: Self {
        .enabled(if: TestServers.current.shouldRun(.postgres), Comment(rawValue: TestServers.skipMessage(.postgres)))
    }

    static var needsSQLite: Self {
        .enabled(if: TestServers.current.shouldRun(.sqlite), Comment(rawValue: TestServers.skipMessage(.sqlite)))
    }
}

extension ODBCSession {
    /// Opens a transaction, with SQL `BEGIN` when `how` is "begin" and by turning autocommit
    /// off otherwise, and inserts a row into `table` in it.
    func openTransaction(_ how: String, inserting table: String) throws {
        if how == "begin" {
            try execute("BEGIN")
        } else {
            try setAutocommit(false)
        }
        try execute("INSERT INTO \(table) VALUES (1)")
    }
}
