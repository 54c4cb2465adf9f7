import Foundation
import QueueMailerCore
import TetherODBC
import TetherTestKit

/// A migrated queue of its own for one test: a fresh SQLite file, or a fresh PostgreSQL schema
/// in the throwaway cluster, so tests never see each other's rows.
final class StoreFixture: Sendable {
    let dialect: SQLDialect
    let connectString: String
    let schema: Schema
    let connection: ODBCConnection
    let directory: String?

    private init(
        dialect: SQLDialect, connectString: String, schema: Schema, connection: ODBCConnection, directory: String?
    ) {
        self.dialect = dialect
        self.connectString = connectString
        self.schema = schema
        self.connection = connection
        self.directory = directory
    }

    /// A fixture for `dialect`, migrated.
    static func make(_ dialect: SQLDialect) async throws -> StoreFixture {
        let fixture: StoreFixture
        switch dialect {
        case .sqlite:
            let directory = NSTemporaryDirectory() + "queue-mailer-store-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let driver = (try? TestServers.current.value("TETHER_SQLITE_DRIVER")) ?? "SQLite3"
            let connectString = "Driver=\(driver);Database=\(directory)/queue.db;Timeout=10000;"
            let connection = try await ODBCConnection.connect(connectString)
            fixture = StoreFixture(
                dialect: .sqlite, connectString: connectString, schema: Schema(dialect: .sqlite),
                connection: connection, directory: directory)
        case .postgresql:
            return try await make(postgres: try TestServers.current.value("TETHER_PG_DSN"))
        }
        _ = try await fixture.store().migrate()
        return fixture
    }

    /// A fixture in a fresh schema of the PostgreSQL database at `connectString`, migrated.
    static func make(postgres connectString: String) async throws -> StoreFixture {
        let namespace = "mailer_" + UUID().uuidString.prefix(8).lowercased().filter { $0 != "-" }
        let connection = try await ODBCConnection.connect(connectString)
        let fixture = StoreFixture(
            dialect: .postgresql, connectString: connectString,
            schema: Schema(dialect: .postgresql, namespace: String(namespace)), connection: connection, directory: nil)
        _ = try await fixture.store().migrate()
        return fixture
    }

    /// The same tables over a fresh connection, after the database was restarted.
    static func reconnect(_ fixture: StoreFixture) async throws -> StoreFixture {
        await fixture.connection.close()
        let connection = try await ODBCConnection.connect(fixture.connectString)
        return StoreFixture(
            dialect: fixture.dialect, connectString: fixture.connectString, schema: fixture.schema,
            connection: connection, directory: fixture.directory)
    }

    /// A store on this fixture's queue, as instance `owner`.
    func store(owner: String = "test-instance", queue: String = "default", lease: Duration = .seconds(60)) -> QueueStore
    {
        QueueStore(
            database: SingleConnectionDatabase(connection: connection), schema: schema, owner: owner,
            queueName: queue, lease: lease)
    }

    /// Runs `sql` directly, for arranging and inspecting rows.
    @discardableResult
    func execute(_ sql: String, _ parameters: [ODBCValue] = []) async throws -> Int {
        try await connection.withSession { try $0.execute(sql, parameters) }
    }

    /// The rows of `sql`, each column as text.
    func rows(_ sql: String, _ parameters: [ODBCValue] = []) async throws -> [[String?]] {
        try await connection.withSession { session in
            try session.query(sql, parameters).map { row in
                row.values.map { value -> String? in
                    switch value {
                    case .null: nil
                    case .text(let text): text
                    case .int(let number): String(number)
                    case .double(let number): String(number)
                    case .decimal(let text): text
                    default: "\(value)"
                    }
                }
            }
        }
    }

    /// Drops what the fixture made.
    func tearDown() async {
        if dialect == .postgresql {
            _ = try? await execute("DROP SCHEMA IF EXISTS \(schema.prefix.dropLast()) CASCADE")
        }
        await connection.close()
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }
}

/// Runs `body` with a fresh fixture, tearing it down afterwards.
func withFixture(_ dialect: SQLDialect, _ body: (StoreFixture) async throws -> Void) async throws {
    let fixture = try await StoreFixture.make(dialect)
    do {
        try await body(fixture)
    } catch {
        await fixture.tearDown()
        throw error
    }
    await fixture.tearDown()
}

/// A valid request with key `key`, to `recipient`.
func sampleRequest(_ key: String, to recipient: String = "ana@example.org", priority: Int = 0) -> SendRequest {
    var request = SendRequest(idempotencyKey: key, from: MailAddress(name: "Shop", address: "shop@example.com"))
    request.to = [MailAddress(name: "Ana", address: recipient)]
    request.subject = "Order \(key)"
    request.text = "Hello from \(key)\n"
    request.priority = priority
    return request
}
