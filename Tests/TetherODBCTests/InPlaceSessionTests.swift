import Foundation
import Testing

@testable import TetherODBC

/// Sessions run in place, on the connection's thread inside the calling task, share one token
/// per connection: what one of them left behind must not reach the next.
@Suite("Sessions run in place, one after another", .timeLimit(.minutes(1)))
struct InPlaceSessionTests {
    /// Runs `body` in a child task that prefers ``ConnectionThreadExecutor``, once the task
    /// runs on the connection's thread, so that `body`'s sessions run in place. A child task:
    /// cancelling the caller cancels it.
    private static func inPlace<R: Sendable>(
        on connection: ODBCConnection, _ body: @escaping @Sendable () async throws -> R
    ) async throws -> R {
        try await withThrowingTaskGroup(of: R.self) { group in
            group.addTask(executorPreference: ConnectionThreadExecutor.shared) {
                try await connection.settleOnThread()
                return try await body()
            }
            return try await group.next()!
        }
    }

    @Test("a session kept past its call stays refused while later sessions run in place", .needsSQLite)
    func keptSessionAcrossInPlaceSessions() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                let (during, own, ranInPlace) = try await Self.inPlace(on: connection) {
                    nonisolated(unsafe) var kept: ODBCSession?
                    try await connection.withSession { session in kept = session }
                    return try await connection.withSession { session in
                        let during = #expect(throws: ODBCError.self) { try kept?.execute("SELECT 1") }
                        let ranInPlace = withUnsafeCurrentTask { $0 != nil }
                        return (during?.kind, try session.queryFirst("SELECT 1")?.decode(Int.self, at: 0), ranInPlace)
                    }
                }
                #expect(ranInPlace)
                #expect(during == .invalidArgument)
                #expect(own == 1)
            }
        }
    }

    @Test("a cancelled session run in place leaves the next one on the same connection uncancelled", .needsPostgres)
    func cancelDoesNotReachTheNextSession() async throws {
        let marker = "reuse_\(UUID().uuidString.prefix(8).lowercased())"
        try await Databases.with(Databases.postgres()) { connection in
            let sleeper = Task {
                try await Self.inPlace(on: connection) {
                    try await connection.withSession { try $0.execute("SELECT pg_sleep(30), '\(marker)'") }
                }
            }
            try await Databases.waitUntilRunning(marker)
            sleeper.cancel()
            let error = await #expect(throws: ODBCError.self) { try await sleeper.value }
            #expect(error?.kind == .cancelled)
            // Nothing runs now: a request to stop the running statement finds none, and marks nothing.
            connection.cancelRunningStatement()
            let (value, ranInPlace) = try await Self.inPlace(on: connection) {
                try await connection.withSession { session in
                    (try session.queryFirst("SELECT 2")?.decode(Int.self, at: 0), withUnsafeCurrentTask { $0 != nil })
                }
            }
            #expect(ranInPlace)
            #expect(value == 2)
        }
    }

    @Test("stopping the running statement of a session run in place stops that session only", .needsPostgres)
    func cancelRunningStatementInPlace() async throws {
        let marker = "running_\(UUID().uuidString.prefix(8).lowercased())"
        try await Databases.with(Databases.postgres()) { connection in
            let sleeper = Task {
                try await Self.inPlace(on: connection) {
                    try await connection.withSession { try $0.execute("SELECT pg_sleep(30), '\(marker)'") }
                }
            }
            try await Databases.waitUntilRunning(marker)
            connection.cancelRunningStatement()
            let error = await #expect(throws: ODBCError.self) { try await sleeper.value }
            #expect(error?.kind == .cancelled)
            let value = try await Self.inPlace(on: connection) {
                try await connection.withSession { try $0.queryFirst("SELECT 3")?.decode(Int.self, at: 0) }
            }
            #expect(value == 3)
        }
    }
}
