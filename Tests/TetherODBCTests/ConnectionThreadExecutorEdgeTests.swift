import CTetherODBC
import Foundation
import Synchronization
import Testing
import TetherLocking
import TetherPool

@testable import TetherODBC

/// Tasks that prefer ``ConnectionThreadExecutor`` at the edges: suspensions that resume them
/// off the connection threads, errors and cancellation in inline sessions, connections that
/// end under them, pools that shut down around them.
@Suite("ConnectionThreadExecutor edges", .needsSQLite, .timeLimit(.minutes(1)))
struct ConnectionThreadExecutorEdgeTests {
    @Test("a preferring task that sleeps, awaits actors and runs child tasks finishes with the right result")
    func suspensionsOfEveryKindFinish() async throws {
        try await Databases.withSQLite { connectString in
            let tally = Tally()
            let total = try await Task(executorPreference: ConnectionThreadExecutor.shared) {
                let connection = try await ODBCConnection.connect(connectString)
                var sum = 0
                for round in 1...5 {
                    sum += try await connection.withSession { try $0.query("SELECT \(round)").count }
                    try await Task.sleep(for: .milliseconds(1))
                    await tally.add(round)
                    await MainActor.run { sum += 0 }
                    sum += await withTaskGroup(of: Int.self) { group in
                        for child in 0..<4 {
                            group.addTask { (try? await connection.withSession { _ in child }) ?? -100 }
                        }
                        return await group.reduce(0, +)
                    }
                }
                await connection.close()
                // After the last connection thread of this task ended, it still gets resumed.
                try await Task.sleep(for: .milliseconds(1))
                await tally.add(100)
                return sum
            }.value
            #expect(total == 5 + 5 * 6)
            #expect(await tally.total == 115)
        }
    }

    @Test("an error thrown by an inline session reaches the caller and the connection stays usable")
    func inlineSessionErrorPropagates() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                let outcome = try await Task(executorPreference: ConnectionThreadExecutor.shared) {
                    // The task comes back to the connection's thread after a session, unless
                    // another test's task was queued there meanwhile (the suite runs in parallel):
                    // then it goes on elsewhere, and the next session brings it back.
                    var sessions = 0
                    while ctether_gettid() != connection.threadID && sessions < 10_000 {
                        try await connection.withSession { try $0.query("SELECT 1") }
                        sessions += 1
                    }
                    let onThread = ctether_gettid() == connection.threadID
                    var failed = false
                    do {
                        try await connection.withSession { try $0.query("SELECT * FROM no_such_table") }
                    } catch is ODBCError {
                        failed = true
                    }
                    let after = try await connection.withSession { try $0.query("SELECT 7") }.count
                    return (onThread, failed, after)
                }.value
                #expect(outcome.0)
                #expect(outcome.1)
                #expect(outcome.2 == 1)
            }
        }
    }

    @Test("a connection dropped without close by a task on its own thread still ends that thread")
    func droppedOnOwnThreadEndsTheThread() async throws {
        try await Databases.withSQLite { connectString in
            let thread = try await Task(executorPreference: ConnectionThreadExecutor.shared) {
                let connection = try await ODBCConnection.connect(connectString)
                try await connection.withSession { try $0.query("SELECT 1") }
                return connection.threadID
            }.value
            let deadline = ContinuousClock.now + .seconds(5)
            while threadExists(thread) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(!threadExists(thread))
        }
    }

    @Test("many preferring tasks sharing one connection without a pool all finish")
    func sharedConnectionManyTasks() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                let sessions = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<16 {
                        group.addTask(executorPreference: ConnectionThreadExecutor.shared) {
                            for _ in 0..<50 {
                                try await connection.withSession { try $0.query("SELECT 1") }
                                await Task.yield()
                            }
                            return 50
                        }
                    }
                    return try await group.reduce(0, +)
                }
                #expect(sessions == 16 * 50)
            }
        }
    }

    @Test("a pool shut down while preferring tasks borrow from it ends them all and its threads")
    func shutdownUnderPreferringTasks() async throws {
        try await Databases.withSQLite { connectString in
            var configuration = PoolConfiguration()
            configuration.minimumConnections = 3
            configuration.maximumConnections = 3
            let pool = try ConnectionPool(
                factory: ODBCConnectionFactory(), target: connectString, configuration: configuration)
            async let running: Void = pool.run()
            let threads = ThreadIDs()
            let workers = Task {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<8 {
                        group.addTask(executorPreference: ConnectionThreadExecutor.shared) {
                            while true {
                                do {
                                    let id = try await pool.withConnection { connection in
                                        try await connection.withSession { _ in ctether_gettid() }
                                    }
                                    threads.insert(id)
                                } catch {
                                    return
                                }
                            }
                        }
                    }
                }
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while threads.all.count < 2 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            await pool.shutdown()
            await running
            await workers.value
            #expect(!threads.all.isEmpty)
            // A thread ends just after its connection's close returns; give it a moment.
            let ended = ContinuousClock.now + .seconds(5)
            while threads.all.contains(where: threadExists) && ContinuousClock.now < ended {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(threads.all.allSatisfy { !threadExists($0) })
        }
    }

    @Test("swap and reconnect while preferring tasks borrow lose no task")
    func swapUnderPreferringTasks() async throws {
        try await Databases.withSQLite { first in
            try await Databases.withSQLite { second in
                var configuration = PoolConfiguration()
                configuration.minimumConnections = 2
                configuration.maximumConnections = 4
                let pool = try ConnectionPool(
                    factory: ODBCConnectionFactory(), target: first, configuration: configuration)
                async let running: Void = pool.run()
                let done = Tally()
                let workers = Task {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<8 {
                            group.addTask(executorPreference: ConnectionThreadExecutor.shared) {
                                for _ in 0..<200 {
                                    _ = try await pool.withConnection { connection in
                                        try await connection.withSession { try $0.query("SELECT 1") }
                                    }
                                }
                                await done.add(1)
                            }
                        }
                        try await group.waitForAll()
                    }
                }
                _ = await pool.swap(to: second)
                _ = await pool.reconnect()
                try await workers.value
                await pool.shutdown()
                await running
                #expect(await done.total == 8)
            }
        }
    }
}

/// An actor the tests hop to and back from.
private actor Tally {
    private(set) var total = 0

    func add(_ value: Int) {
        total += value
    }
}

/// Thread ids that several tasks collect.
private final class ThreadIDs: Sendable {
    private let ids = Locked<Set<Int32>>([])

    var all: Set<Int32> { ids.withLock { $0 } }

    func insert(_ id: Int32) {
        ids.withLock { _ = $0.insert(id) }
    }
}
