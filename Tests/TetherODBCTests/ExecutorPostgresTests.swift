import Foundation
import Testing

@testable import TetherODBC

/// Tasks that prefer ``ConnectionThreadExecutor`` against PostgreSQL: cancelling an inline
/// session, and holding a row lock that a session on another connection thread waits for.
@Suite("ConnectionThreadExecutor with PostgreSQL", .needsPostgres, .timeLimit(.minutes(1)))
struct ExecutorPostgresTests {
    /// A table with one row (id 1, v 0), a connection to hold its lock and one whose
    /// statements wait at most 8 seconds for a lock; closed and dropped after `body`.
    private static func withLockedRowTable(
        _ prefix: String,
        _ body: (_ table: String, _ holder: ODBCConnection, _ waiter: ODBCConnection) async throws -> Void
    ) async throws {
        let table = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
        try await Databases.administer("CREATE TABLE \(table) (id INTEGER PRIMARY KEY, v INTEGER)")
        try await Databases.administer("INSERT INTO \(table) VALUES (1, 0)")
        let holder = try await ODBCConnection.connect(Databases.postgres())
        let waiter = try await ODBCConnection.connect(Databases.postgres())
        try await waiter.withSession { try $0.execute("SET lock_timeout = '8s'") }
        try await body(table, holder, waiter)
        await holder.close()
        await waiter.close()
        try await Databases.administer("DROP TABLE \(table)")
    }

    @Test("cancelling a preferring task stops its inline session and the connection stays usable")
    func cancelInlineSession() async throws {
        let marker = "inline_\(UUID().uuidString.prefix(8).lowercased())"
        try await Databases.with(Databases.postgres()) { connection in
            let started = ContinuousClock.now
            let sleeper = Task(executorPreference: ConnectionThreadExecutor.shared) {
                try await connection.withSession { try $0.query("SELECT 1") }
                try await connection.withSession { session in
                    try session.execute("SELECT pg_sleep(30), '\(marker)'")
                }
            }
            try await Databases.waitUntilRunning(marker)
            sleeper.cancel()
            let error = await #expect(throws: ODBCError.self) { try await sleeper.value }
            #expect(error?.kind == .cancelled)
            #expect(ContinuousClock.now - started < .seconds(10))
            let one = try await connection.withSession { try $0.query("SELECT 1").count }
            #expect(one == 1)
        }
    }

    @Test("a preferring task cancelled before a session on its own connection's thread runs nothing")
    func cancelledBeforeInlineSession() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let task = Task(executorPreference: ConnectionThreadExecutor.shared) {
                // Once the task runs on the connection's thread, its next session runs in place.
                try await connection.settleOnThread()
                withUnsafeCurrentTask { $0?.cancel() }
                return try await connection.withSession { _ in "ran" }
            }
            let error = await #expect(throws: ODBCError.self) { try await task.value }
            #expect(error?.kind == .cancelled)
            // The same task, with the cancel left out, shows the session it cancelled ran in place:
            // a body run in place runs inside the calling task, one queued on the thread in a job
            // of the thread's own, outside any task.
            let placement = Task(executorPreference: ConnectionThreadExecutor.shared) { () async throws -> Bool in
                try await connection.settleOnThread()
                return try await connection.withSession { _ in withUnsafeCurrentTask { $0 != nil } }
            }
            let ranInPlace = try await placement.value
            #expect(ranInPlace)
        }
    }

    @Test("a preferring task that holds a row lock is not queued behind the session waiting for it")
    func lockHolderIsNotQueuedBehindItsWaiter() async throws {
        try await Self.withLockedRowTable("exec_lock") { table, holder, waiter in
            let started = ContinuousClock.now
            let locked = Task(executorPreference: ConnectionThreadExecutor.shared) {
                try await holder.withSession { session in
                    try session.execute("BEGIN")
                    try session.execute("UPDATE \(table) SET v = 1 WHERE id = 1")
                }
                try await Databases.waitUntilRunning("SET v = 2")
                // Each resume comes from a thread of the global pool, where the detached task ended.
                for _ in 0..<20 {
                    await Task.detached { try? await Task.sleep(for: .milliseconds(1)) }.value
                }
                try await holder.withSession { try $0.execute("COMMIT") }
            }
            let blocked = try await waiter.withSession { try $0.execute("UPDATE \(table) SET v = 2 WHERE id = 1") }
            try await locked.value
            #expect(blocked == 1)
            #expect(ContinuousClock.now - started < .seconds(8))
        }
    }

    @Test("a preferring lock holder is not queued behind another preferring task's in-place session that waits")
    func lockHolderIsNotQueuedBehindInPlaceWaiter() async throws {
        try await Self.withLockedRowTable("exec_inplace") { table, holder, waiter in
            try await holder.withSession { session in
                try session.execute("BEGIN")
                try session.execute("UPDATE \(table) SET v = 1 WHERE id = 1")
            }
            let started = ContinuousClock.now
            let blocked = Task(executorPreference: ConnectionThreadExecutor.shared) {
                // The first session brings the task to the waiter's thread; the second runs there
                // in place, inside the task, and waits for the row lock.
                try await waiter.withSession { _ in }
                return try await waiter.withSession { try $0.execute("UPDATE \(table) SET v = 2 WHERE id = 1") }
            }
            let locked = Task(executorPreference: ConnectionThreadExecutor.shared) {
                try await Databases.waitUntilRunning("\(table) SET v = 2")
                // Each resume comes from a thread of the global pool and goes to an idle connection
                // thread: the waiter's thread, which runs a task's session, must not count as one.
                for _ in 0..<20 {
                    await Task.detached { try? await Task.sleep(for: .milliseconds(1)) }.value
                }
                try await holder.withSession { try $0.execute("COMMIT") }
            }
            try await locked.value
            #expect(try await blocked.value == 1)
            #expect(ContinuousClock.now - started < .seconds(8))
        }
    }

    @Test(
        "a lock holder that a session's body resumes is not queued behind that session, which then waits for its lock",
        arguments: [true, false])
    func lockHolderResumedFromASessionBody(waiterPrefers: Bool) async throws {
        try await Self.withLockedRowTable("exec_body") { table, holder, waiter in
            let (wake, waking) = AsyncStream<Void>.makeStream()
            let locked = Task(executorPreference: ConnectionThreadExecutor.shared) {
                try await holder.withSession { session in
                    try session.execute("BEGIN")
                    try session.execute("UPDATE \(table) SET v = 1 WHERE id = 1")
                }
                // Woken by the waiter's session, from the waiter's thread.
                for await _ in wake {
                    break
                }
                try await holder.withSession { try $0.execute("COMMIT") }
            }
            try await Databases.waitUntilRunning("\(table) SET v = 1")
            let started = ContinuousClock.now
            let update = { @Sendable in
                // The first session brings a preferring task to the waiter's thread, so that the
                // second runs there in place; otherwise the second runs as a job on that thread.
                try await waiter.withSession { _ in }
                return try await waiter.withSession { session in
                    waking.yield()
                    return try session.execute("UPDATE \(table) SET v = 2 WHERE id = 1")
                }
            }
            let preference: (any TaskExecutor)? = waiterPrefers ? ConnectionThreadExecutor.shared : nil
            let blocked = Task(executorPreference: preference, operation: update)
            try await locked.value
            #expect(try await blocked.value == 1)
            #expect(ContinuousClock.now - started < .seconds(8))
        }
    }

    @Test("a lock holder resumed by its own thread does not queue behind the session waiting for its lock")
    func lockHolderResumedOnItsThreadMovesOn() async throws {
        try await Self.withLockedRowTable("exec_own") { table, holder, shared in
            let started = ContinuousClock.now
            // The task takes the row lock on `holder`, then runs a slow session on `shared`; while
            // that runs, another caller queues an update of the locked row on `shared`'s thread.
            // The task, resumed by that thread, must go on elsewhere and commit.
            let locked = Task(executorPreference: ConnectionThreadExecutor.shared) {
                try await holder.withSession { session in
                    try session.execute("BEGIN")
                    try session.execute("UPDATE \(table) SET v = 1 WHERE id = 1")
                }
                try await shared.withSession { try $0.execute("SELECT pg_sleep(0.5)") }
                try await holder.withSession { try $0.execute("COMMIT") }
            }
            try await Databases.waitUntilRunning("pg_sleep(0.5)")
            let blocked = try await shared.withSession { session in
                try session.execute("UPDATE \(table) SET v = 2 WHERE id = 1")
            }
            try await locked.value
            #expect(blocked == 1)
            #expect(ContinuousClock.now - started < .seconds(8))
        }
    }
}
