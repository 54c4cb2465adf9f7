import CTetherODBC
import Synchronization
import Testing
import TetherPool

@testable import TetherODBC

/// Tasks that prefer ``ConnectionThreadExecutor`` run on the connection threads: resumed where
/// their session ran, their next session there runs without a hop, and nobody starves or hangs
/// when a thread stops.
@Suite("ConnectionThreadExecutor", .needsSQLite, .timeLimit(.minutes(1)))
struct ConnectionThreadExecutorTests {
    @Test("after a session the task carries on on the connection's thread")
    func taskStaysOnConnectionThread() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                let seen = try await Task(executorPreference: ConnectionThreadExecutor.shared) {
                    // A session that ends before its caller has suspended resumes nobody: the
                    // task then carries on where it was. So wait until it is on the thread once;
                    // under load (the whole suite in parallel) 100 tries were seen to lose that race.
                    var sessions = 0
                    while ctether_gettid() != connection.threadID && sessions < 10_000 {
                        try await connection.withSession { _ in }
                        sessions += 1
                    }
                    var threads: [Int32] = []
                    for _ in 0..<3 {
                        let inSession = try await connection.withSession { _ in ctether_gettid() }
                        threads += [inSession, ctether_gettid()]
                    }
                    return threads
                }.value
                #expect(seen == Array(repeating: connection.threadID, count: 6))
            }
        }
    }

    @Test("a task queued behind another on the same connection thread is not starved")
    func queuedTaskIsNotStarved() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                let otherDone = DoneFlag()
                let bound = 20_000
                async let busy = Task(executorPreference: ConnectionThreadExecutor.shared) {
                    var sessions = 0
                    while !otherDone.isSet && sessions < bound {
                        try await connection.withSession { try $0.query("SELECT 1") }
                        sessions += 1
                    }
                    return sessions
                }.value
                try await Task(executorPreference: ConnectionThreadExecutor.shared) {
                    for _ in 0..<50 {
                        try await connection.withSession { try $0.query("SELECT 2") }
                    }
                    otherDone.set()
                }.value
                // Without yielding to queued work, the first task would run all its sessions first.
                #expect(try await busy < bound)
            }
        }
    }

    @Test("a task that closes the connection whose thread it runs on carries on elsewhere")
    func closingOwnThreadMovesTheTask() async throws {
        try await Databases.withSQLite { connectString in
            let (closedThread, after) = try await Task(executorPreference: ConnectionThreadExecutor.shared) {
                let connection = try await ODBCConnection.connect(connectString)
                try await connection.withSession { try $0.query("SELECT 1") }
                let thread = connection.threadID
                await connection.close()
                await Task.yield()
                return (thread, ctether_gettid())
            }.value
            #expect(closedThread != after)
        }
    }

    @Test("a pool lends tasks on connection threads the connection of the thread they are on")
    func poolPrefersTheCurrentThreadsConnection() async throws {
        try await Databases.withSQLite { connectString in
            var configuration = PoolConfiguration()
            configuration.minimumConnections = 3
            configuration.maximumConnections = 3
            let pool = try ConnectionPool(
                factory: ODBCConnectionFactory(), target: connectString, configuration: configuration)
            async let running: Void = pool.run()
            let borrows = 300
            let onOwnThread = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<3 {
                    group.addTask(executorPreference: ConnectionThreadExecutor.shared) {
                        var matched = 0
                        for _ in 0..<borrows {
                            let here = ctether_gettid()
                            matched += try await pool.withConnection { connection in
                                try await connection.withSession { _ in ctether_gettid() == here ? 1 : 0 }
                            }
                        }
                        return matched
                    }
                }
                return try await group.reduce(0, +)
            }
            await pool.shutdown()
            await running
            // Tasks settle on one thread each within a few borrows; without the preference a
            // task runs on its connection's thread only by chance.
            #expect(onOwnThread > 3 * borrows / 2)
        }
    }
}

/// A flag one task raises and another reads.
private final class DoneFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    var isSet: Bool { raised.load(ordering: .acquiring) }

    func set() {
        raised.store(true, ordering: .releasing)
    }
}
