import QueueMailerCore
import Testing
import TetherODBC

@testable import TetherPool

/// Found by the chaos soak: when the database connection broke while `run` checked the schema
/// at start-up, the pool's error ended the mailer with 70 (an unexpected failure) instead of
/// 69 (the database unreachable), so a supervisor could not tell it from a crash.
@Suite("Start-up with the database unreachable")
struct StartupErrorTests {
    /// A database whose every session fails with `error`, as the pool reports it.
    struct FailingDatabase: QueueDatabase {
        let error: ConnectionPoolError

        func withSession<R: Sendable>(_ body: @escaping @Sendable (ODBCSession) throws -> R) async throws -> R {
            throw error
        }
    }

    static func store(failingWith code: ConnectionPoolError.Code) -> QueueStore {
        QueueStore(
            database: FailingDatabase(error: ConnectionPoolError(code)), schema: Schema(dialect: .postgresql),
            owner: "test", queueName: "default", lease: .seconds(60))
    }

    @Test(
        "Chaos: a connection that fails or breaks during the schema check is a database error (exit 69)",
        arguments: [ConnectionPoolError.Code.outcomeUnknown, .connectFailed, .acquireTimeout])
    func unreachable(code: ConnectionPoolError.Code) async throws {
        let error = await #expect(throws: MailerError.self) {
            try await Self.store(failingWith: code).requireCurrentSchema()
        }
        #expect(error?.kind == .database)
        #expect(error?.reason.contains(ConnectionPoolError(code).description) == true)
    }

    @Test("a pool shut down during the schema check is not reported as an unreachable database")
    func shutdown() async throws {
        await #expect(throws: ConnectionPoolError.self) {
            try await Self.store(failingWith: .shutdown).requireCurrentSchema()
        }
    }
}
