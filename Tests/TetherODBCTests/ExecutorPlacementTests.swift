import Glibc
import Synchronization
import Testing

@testable import TetherODBC

/// Where ``ConnectionThreadExecutor`` puts a task that is resumed off the connection threads.
@Suite("ConnectionThreadExecutor placement", .needsSQLite, .timeLimit(.minutes(1)))
struct ExecutorPlacementTests {
    @Test("a task resumed off the connection threads is not queued behind a thread's long session")
    func resumedTaskSkipsBusyThread() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                let started = SignalCount()
                let signals = SignalCount()
                let tasks = 8
                // A session that waits for the tasks below, as an UPDATE waits for a row lock
                // that a preferring task holds and will release once it runs again.
                async let waited = connection.withSession { _ in
                    started.add()
                    let end = ContinuousClock.now + .seconds(2)
                    while signals.value < tasks && ContinuousClock.now < end {
                        usleep(1_000)
                    }
                    return signals.value
                }
                while started.value == 0 {
                    await Task.yield()
                }
                for _ in 0..<tasks {
                    Task(executorPreference: ConnectionThreadExecutor.shared) {
                        signals.add()
                    }
                }
                let seen = try await waited
                #expect(seen == tasks)
            }
        }
    }

    @Test("closing a connection while preferring tasks are queued on its thread ends every one of them")
    func closeWithTasksQueuedOnTheThread() async throws {
        try await Databases.withSQLite { connectString in
            let connection = try await ODBCConnection.connect(connectString)
            let finished = SignalCount()
            let workers = Task {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<16 {
                        group.addTask(executorPreference: ConnectionThreadExecutor.shared) {
                            while (try? await connection.withSession({ try $0.query("SELECT 1") })) != nil {
                                await Task.yield()
                            }
                            finished.add()
                        }
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(50))
            let thread = connection.threadID
            await connection.close()
            await workers.value
            #expect(finished.value == 16)
            #expect(!threadExists(thread))
        }
    }
}

/// A count that several threads raise and read.
private final class SignalCount: Sendable {
    private let count = Atomic<Int>(0)

    var value: Int { count.load(ordering: .acquiring) }

    func add() {
        count.add(1, ordering: .releasing)
    }
}
