import Synchronization
import Testing
import TetherLocking
import TetherODBC
import TetherPool

/// Borrowing from a pool in every kind of caller: a plain task, a task that prefers
/// ``ConnectionThreadExecutor``, the main actor, an actor of our own, and such an actor called
/// from a preferring task (whose code then runs on a connection thread).
@Suite("Pool callers of every isolation", .needsPostgres, .timeLimit(.minutes(1)))
struct ActorCallerTests {
    enum Caller: CaseIterable, Sendable {
        case task, preferringTask, mainActor, actor, preferringActor

        /// The actor the operation runs on, which must stay free while its statement runs.
        var isolated: Bool { self == .mainActor || self == .actor || self == .preferringActor }
    }

    @Test(
        "a caller's actor stays free while its statement runs, and cancelling the caller stops the statement",
        arguments: Caller.allCases)
    func actorStaysFreeAndCancelStops(caller: Caller) async throws {
        let configuration = PoolConfiguration.testing.with { $0.maximumConnections = 1 }
        try await withPool(Databases.postgres(), configuration: configuration) { pool in
            let log = EventLog()
            let borrower = Borrower(log: log)
            let marker = "caller_\(caller)_\(UInt32.random(in: 0...UInt32.max))"
            let sleeper = start(caller, pool: pool, borrower: borrower, marker: marker, log: log)
            try await Databases.waitUntilRunning(marker)
            switch caller {
            case .mainActor: await MainActor.run { log.append("ping") }
            case .actor, .preferringActor: await borrower.ping()
            case .task, .preferringTask: break
            }
            #expect(log.all == (caller.isolated ? ["borrowed", "ping"] : ["borrowed"]))
            let cancelled = ContinuousClock.now
            sleeper.cancel()
            let error = await #expect(throws: ODBCError.self) { try await sleeper.value }
            #expect(error?.kind == .cancelled)
            #expect(ContinuousClock.now - cancelled < .seconds(5), "SQLCancel stops the statement promptly")
            #expect(!log.all.contains("slept"))
            let one = try await pool.withConnection { try await $0.withSession { try $0.query("SELECT 1").count } }
            #expect(one == 1)
            #expect(pool.activeOperations == 0)
            #expect(pool.counters.created == 1, "a cancelled statement leaves its connection usable")
        }
    }

    private func start(
        _ caller: Caller, pool: ODBCPool, borrower: Borrower, marker: String, log: EventLog
    ) -> Task<Void, any Error> {
        switch caller {
        case .task:
            return Task { try await sleepOnServer(pool, marker: marker, log: log) }
        case .preferringTask:
            return Task(executorPreference: ConnectionThreadExecutor.shared) {
                try await warmUp(pool)
                try await sleepOnServer(pool, marker: marker, log: log)
            }
        case .mainActor:
            return Task { @MainActor in try await sleepOnMainActor(pool, marker: marker, log: log) }
        case .actor:
            return Task { try await borrower.sleepOnServer(pool, marker: marker) }
        case .preferringActor:
            return Task(executorPreference: ConnectionThreadExecutor.shared) {
                // Resumed on the connection's thread after this session: the actor then runs there
                // too, and its session would run in place, holding the actor, if it stayed on it.
                try await warmUp(pool)
                try await borrower.sleepOnServer(pool, marker: marker)
            }
        }
    }
}

/// A session that leaves a preferring task on the connection thread that ran it.
private func warmUp(_ pool: ODBCPool) async throws {
    _ = try await pool.withConnection { try await $0.withSession { try $0.query("SELECT 1") } }
}

/// Sleeps on the server in the caller's isolation, noting the borrow and the end of the sleep.
nonisolated(nonsending) private func sleepOnServer(_ pool: ODBCPool, marker: String, log: EventLog) async throws {
    try await pool.withConnection { connection in
        log.append("borrowed")
        try await connection.withSession { try $0.execute("SELECT pg_sleep(10) /* \(marker) */") }
        log.append("slept")
    }
}

@MainActor
private func sleepOnMainActor(_ pool: ODBCPool, marker: String, log: EventLog) async throws {
    try await pool.withConnection { connection in
        // Under `swift test` on Linux the main actor need not run on the main thread: ask the runtime.
        try await connection.withSession { try $0.execute("SELECT 1") }
        MainActor.preconditionIsolated("the operation of a main-actor caller resumes on it after a session")
        log.append("borrowed")
        try await connection.withSession { try $0.execute("SELECT pg_sleep(10) /* \(marker) */") }
        log.append("slept")
    }
}

/// Borrows inside its own methods; the operation's closure touches the actor's state without `await`.
private actor Borrower {
    private let log: EventLog
    private var borrows = 0

    init(log: EventLog) {
        self.log = log
    }

    func ping() {
        log.append("ping")
    }

    func sleepOnServer(_ pool: ODBCPool, marker: String) async throws {
        try await pool.withConnection { connection in
            borrows += 1
            try await connection.withSession { try $0.execute("SELECT 1") }
            preconditionIsolated("the operation resumes on its caller's actor after a session")
            log.append("borrowed")
            try await connection.withSession { try $0.execute("SELECT pg_sleep(10) /* \(marker) */") }
            borrows -= 1
            log.append("slept")
        }
    }
}

/// What happened, in order, across the tasks of one test.
private final class EventLog: Sendable {
    private let events = Locked<[String]>([])

    func append(_ event: String) {
        events.withLock { $0.append(event) }
    }

    var all: [String] { events.withLock { $0 } }
}
