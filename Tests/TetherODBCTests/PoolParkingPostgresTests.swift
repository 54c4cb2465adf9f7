import Dispatch
import Foundation
import Testing
import TetherODBC

@testable import TetherPool

/// Workers that prefer ``ConnectionThreadExecutor`` against PostgreSQL, whose connections
/// wait parked on their own threads between borrows: a backend terminated while parked, a
/// worker cancelled mid-query, swaps between roles and databases under such workers.
@Suite("ConnectionPool of ODBC connections parked on their threads", .needsPostgres, .timeLimit(.minutes(2)))
struct PoolParkingPostgresTests {
    @Test(
        "P2: a backend terminated while its connection is parked: the borrow on its thread is retried only if safe",
        arguments: [true, false])
    func backendTerminatedWhileParked(idempotent: Bool) async throws {
        let configuration = PoolConfiguration.testing.with {
            $0.maximumConnections = 1
            // A maintenance tick takes parked connections back; on a loaded machine one could
            // come between the park and the check below.
            $0.maintenanceInterval = .seconds(3600)
        }
        try await withPool(Databases.postgres(), configuration: configuration) { pool in
            let terminated = DispatchSemaphore(value: 0)
            // Whatever happens here, the worker must not keep its connection's thread blocked.
            defer { terminated.signal() }
            let (parkedPIDs, parked) = AsyncStream.makeStream(of: Int.self)
            let runs = Counter()
            let worker = Task(executorPreference: ConnectionThreadExecutor.shared) {
                defer { parked.finish() }
                let pid = try #require(await pool.parkOnThisThread())
                parked.yield(pid)
                // Stays on the thread, so the next borrow takes the connection from its cell.
                block(until: terminated)
                return try await pool.withConnection(idempotent: idempotent) { connection in
                    runs.increment()
                    return try await connection.withSession { try $0.query("SELECT 7")[0].decode(Int.self, at: 0) }
                }
            }
            var pids = parkedPIDs.makeAsyncIterator()
            let pid = try #require(await pids.next())
            #expect(pool.state.withLock { $0.parkedCount } == 1)
            try await Databases.administer("SELECT pg_terminate_backend(\(pid))")
            terminated.signal()
            if idempotent {
                #expect(try await worker.value == 7)
                #expect(runs.count == 2)
            } else {
                let error = await #expect(throws: ConnectionPoolError.self) { try await worker.value }
                #expect(error?.code == .outcomeUnknown)
                #expect(runs.count == 1)
            }
            #expect(pool.counters.closed[.broken, default: 0] == 1)
            #expect(try await pool.whoAmI() == "tether@tether")
            #expect(pool.gauges.leased == 0)
        }
    }

    @Test("P1: after every backend is terminated, a worker's connection parked on its thread is checked before use")
    func parkedConnectionCheckedAfterEviction() async throws {
        let configuration = PoolConfiguration.testing.with {
            $0.minimumConnections = 2
            $0.maximumConnections = 2
            // A maintenance tick gives parked connections back to the pool, and the borrow
            // below could then take the worker's (as one did in a loaded run).
            $0.maintenanceInterval = .seconds(3600)
        }
        try await withPool(Databases.postgres(), configuration: configuration) { pool in
            // Both connections first: the borrow elsewhere takes the one not parked.
            while pool.gauges.idle < 2 {
                try await Task.sleep(for: .milliseconds(10))
            }
            let (terminated, proceed) = AsyncStream.makeStream(of: Void.self)
            defer { proceed.finish() }
            let (parkedPIDs, parked) = AsyncStream.makeStream(of: Int.self)
            let worker = Task(executorPreference: ConnectionThreadExecutor.shared) {
                defer { parked.finish() }
                let pid = try #require(await pool.parkOnThisThread())
                parked.yield(pid)
                // Wherever the task resumes, the parked connection is used unchecked unless the
                // eviction took it back and marked it for a check.
                for await _ in terminated {
                    break
                }
                return try await pool.whoAmI(idempotent: false)
            }
            var pids = parkedPIDs.makeAsyncIterator()
            let parkedPID = try #require(await pids.next())
            // The other connection, lent elsewhere while the worker's waits parked.
            let otherPID = try await pool.backendPID()
            #expect(otherPID != parkedPID)
            try await Databases.administer(
                "SELECT pg_terminate_backend(\(parkedPID))", "SELECT pg_terminate_backend(\(otherPID))")
            // The other connection finds out first and is evicted.
            await #expect(throws: ConnectionPoolError.self) { try await pool.whoAmI(idempotent: false) }
            proceed.yield()
            #expect(try await worker.value == "tether@tether")
            #expect(pool.counters.closed[.failedValidation, default: 0] == 1)
        }
    }

    @Test(
        "P7: a worker that leaves a transaction open on its connection's thread: its next borrow there runs outside it",
        arguments: ["begin", "manual"])
    func transactionLeftOpenOnTheThread(state: String) async throws {
        let table = "odbc_p7_parked_\(UUID().uuidString.prefix(8).lowercased())"
        try await Databases.administer("CREATE TABLE \(table) (i INTEGER)")
        let configuration = PoolConfiguration.testing.with { $0.maximumConnections = 1 }
        try await withPool(Databases.postgres(), configuration: configuration) { pool in
            let worker = Task(executorPreference: ConnectionThreadExecutor.shared) {
                _ = try #require(await pool.parkOnThisThread())
                try await pool.withConnection { connection in
                    try await connection.withSession { try $0.openTransaction(state, inserting: table) }
                }
                return try await pool.withConnection { connection in
                    try await connection.withSession { session in
                        (session.isAutocommit, try session.query("SELECT i FROM \(table)").count)
                    }
                }
            }
            let (autocommit, rows) = try await worker.value
            #expect(autocommit)
            #expect(rows == 0)
            #expect(pool.counters.created == 1)
        }
        try await Databases.administer("DROP TABLE \(table)")
    }

    @Test("a worker on its connection's thread cancelled mid-query gives the connection back usable")
    func workerCancelledMidQuery() async throws {
        let marker = "parked_cancel_\(UUID().uuidString.prefix(8).lowercased())"
        let configuration = PoolConfiguration.testing.with { $0.maximumConnections = 1 }
        try await withPool(Databases.postgres(), configuration: configuration) { pool in
            let worker = Task(executorPreference: ConnectionThreadExecutor.shared) {
                _ = try #require(await pool.parkOnThisThread())
                try await pool.withConnection { connection in
                    try await connection.withSession { _ = try $0.execute("SELECT pg_sleep(30), '\(marker)'") }
                }
            }
            try await Databases.waitUntilRunning(marker)
            worker.cancel()
            let error = await #expect(throws: ODBCError.self) { try await worker.value }
            #expect(error?.kind == .cancelled)
            let gauges = pool.gauges
            #expect(gauges.leased == 0)
            #expect(gauges.activeOperations == 0)
            #expect(pool.counters.closed.isEmpty)
            let again = Task(executorPreference: ConnectionThreadExecutor.shared) { try await pool.whoAmI() }
            #expect(try await again.value == "tether@tether")
            #expect(pool.counters.created == 1)
        }
    }

    @Test("workers on the connection threads query while the pool swaps roles and databases; none fails")
    func swapsUnderWorkersOnConnectionThreads() async throws {
        let targets = try Databases.swapTargets()
        let names = Set(targets.map { "\($0["UID"] ?? "")@\($0["Database"] ?? "")" })
        let configuration = PoolConfiguration.testing.with {
            $0.minimumConnections = 3
            $0.maximumConnections = 6
        }
        let failures = Counter()
        let operations = Counter()
        try await withPool(targets[0], configuration: configuration) { pool in
            try await withThrowingTaskGroup(of: Void.self) { group in
                let stop = Counter()
                for _ in 0..<8 {
                    group.addTask(executorPreference: ConnectionThreadExecutor.shared) {
                        while stop.count == 0 {
                            do {
                                let name = try await pool.whoAmI(idempotent: false)
                                #expect(names.contains(name))
                                operations.increment()
                            } catch {
                                failures.increment()
                                Issue.record("an operation failed during a swap: \(error)")
                            }
                        }
                    }
                }
                for round in 1...8 {
                    try await Task.sleep(for: .milliseconds(100))
                    let report = await pool.swap(to: targets[round % targets.count])
                    #expect(report.forced == 0)
                }
                stop.increment()
                try await group.waitForAll()
            }
            let gauges = pool.gauges
            #expect(gauges.leased == 0)
            #expect(gauges.activeOperations == 0)
            #expect(gauges.generation == 9)
            let last = targets[8 % targets.count]
            #expect(try await pool.whoAmI() == "\(last["UID"] ?? "")@\(last["Database"] ?? "")")
        }
        #expect(failures.count == 0)
        #expect(operations.count > 100)
    }
}

/// Blocks the calling thread until `semaphore` is signalled, so the caller stays where it is;
/// at most ten seconds, so that nothing queued behind it on that thread waits for ever.
private func block(until semaphore: DispatchSemaphore) {
    if semaphore.wait(timeout: .now() + .seconds(10)) == .timedOut {
        Issue.record("the thread was blocked for ten seconds without a signal")
    }
}

extension ODBCPool {
    /// Borrows from a task that prefers ``ConnectionThreadExecutor`` until the task runs on the
    /// thread of the connection it borrowed and that connection is parked there; returns the
    /// connection's server process, or nil (with an issue) when that never happened.
    fileprivate func parkOnThisThread() async throws -> Int? {
        // The first borrow brings the task to a connection's thread, the next parks it there;
        // a task resumed while other work is queued on that thread may go on elsewhere.
        for _ in 0..<20 {
            let pid = try await backendPID()
            if let cell = ParkCell.current, cell.pool == ObjectIdentifier(self), cell.phase == .parked {
                return pid
            }
        }
        Issue.record("no connection parked on the task's thread after 20 borrows")
        return nil
    }

    /// The server process of the connection a borrow gets.
    fileprivate func backendPID() async throws -> Int {
        try await withConnection { connection in
            try await connection.withSession { try $0.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0) }
        }
    }
}
