import Testing
import TetherTestKit

@testable import TetherPool

/// A connection given back on its own thread waits there, in its cell, for the next borrow on
/// that thread; whatever needs the machine's true picture takes it back first.
@Suite("ConnectionPool: connections parked on their own thread", .timeLimit(.minutes(1)))
struct ConnectionPoolParkingTests {
    @Test("a connection given back on its thread waits there, counted idle, and is lent there again")
    func parksAndIsTakenAgain() async throws {
        try await withMarkedPool { pool, marked, thread, _ in
            let first = try await pool.borrow(on: thread)
            #expect(first == marked.id)
            #expect(pool.cellStates == [.parked])
            #expect(pool.gauges == PoolGauges(idle: 1, leased: 0, creating: 0, waiting: 0, generation: 1))
            for _ in 0..<3 {
                let again = try await pool.borrow(on: thread)
                #expect(again == marked.id)
            }
            // Taken from the cell each time: the machine still counts the connection out.
            #expect(pool.machineState(of: marked.id) == .leased)
        }
    }

    @Test("a caller on another thread gets the connection parked on its thread at once")
    func callerElsewhereReclaims() async throws {
        try await withMarkedPool { pool, marked, thread, _ in
            _ = try await pool.borrow(on: thread)
            let elsewhere = try await pool.withConnection { $0.id }
            #expect(elsewhere == marked.id)
            #expect(pool.counters.waitTimes.count == 0)
            #expect(pool.cellStates == [.off])
            #expect(pool.machineState(of: marked.id) == .idle)
            #expect(pool.gauges == PoolGauges(idle: 1, leased: 0, creating: 0, waiting: 0, generation: 1))
        }
    }

    @Test("an operation that throws gives its connection back to the machine, not to the cell")
    func failureSkipsTheCell() async throws {
        try await withMarkedPool { pool, marked, thread, _ in
            await #expect(throws: FakeConnectionError.self) {
                try await thread.run {
                    try await pool.withConnection { _ in throw FakeConnectionError(.other, "refused by the test") }
                }
            }
            #expect(pool.cellStates == [.off])
            #expect(pool.machineState(of: marked.id) == .idle)
        }
    }

    @Test("a parked connection idle past the keep-alive threshold is checked before it is lent again")
    func staleParkedConnectionIsValidated() async throws {
        var configuration = PoolConfiguration.testing(minimum: 1, maximum: 1)
        configuration.keepAliveThreshold = .seconds(30)
        configuration.maintenanceInterval = .seconds(1000)
        try await withMarkedPool(configuration) { pool, marked, thread, clock in
            _ = try await pool.borrow(on: thread)
            let before = pool.factory.validations
            clock.advance(by: .seconds(10))
            _ = try await pool.borrow(on: thread)
            #expect(pool.factory.validations == before)
            clock.advance(by: .seconds(31))
            let checked = try await pool.borrow(on: thread)
            #expect(checked == marked.id)
            #expect(pool.factory.validations == before + 1)
        }
    }

    @Test("a swap retires a connection parked on its thread; the thread then gets the new generation's")
    func swapRetiresParkedConnection() async throws {
        try await withMarkedPool { pool, marked, thread, _ in
            _ = try await pool.borrow(on: thread)
            let report = await pool.swap(to: "db-b")
            #expect(report.generation == 2)
            #expect(marked.isClosed)
            let target = try await thread.run { try await pool.withConnection { $0.target } }
            #expect(target == "db-b")
            #expect(pool.gauges == PoolGauges(idle: 1, leased: 0, creating: 0, waiting: 0, generation: 2))
        }
    }

    @Test("shutdown closes a connection parked on its thread")
    func shutdownClosesParkedConnection() async throws {
        var parked: FakeConnection?
        try await withMarkedPool { pool, marked, thread, _ in
            _ = try await pool.borrow(on: thread)
            #expect(pool.cellStates == [.parked])
            parked = marked
        }
        #expect(parked?.isClosed == true)
    }

    @Test("P6: a task that took a parked connection and nests is named as its holder")
    func parkedHolderIsNamed() async throws {
        try await withMarkedPool { pool, _, thread, clock in
            // Another task borrows first, so the machine last saw that task as the holder; it
            // stays alive, so the nesting task cannot get its address.
            let hold = Gate()
            let first = Task(executorPreference: thread) {
                _ = try await pool.withConnection { $0.id }
                await hold.wait()
            }
            await eventually("the first task parked the connection") { pool.cellStates == [.parked] }
            let nesting = Task(executorPreference: thread) {
                try await pool.withConnection { _ in try await pool.withConnection { _ in } }
            }
            await eventually("the nested borrow waits") { pool.gauges.waiting == 1 }
            clock.advance(by: .seconds(10))
            let error = await #expect(throws: ConnectionPoolError.self) { try await nesting.value }
            #expect(error?.code == .acquireTimeout)
            #expect(error?.currentTaskHoldsLease == true)
            hold.open()
            try await first.value
        }
    }
}

extension ConnectionPool where Factory == FakeConnectionFactory {
    /// The states of the pool's cells, in the order of their connections.
    var cellStates: [ParkCell.Phase] {
        state.withLock { state in
            state.cells.sorted { $0.key < $1.key }.map { $0.value.phase }
        }
    }

    /// The machine's state of connection `connectionID`, as the factory numbers it (fakes count from 1).
    func machineState(of connectionID: Int) -> PoolStateMachine.SlotState? {
        state.withLock { state in
            state.connections.first { Self.open($0.value).id == connectionID }
                .flatMap { state.machine.slots[$0.key]?.state }
        }
    }
}

extension ConnectionPool where Factory == FakeConnectionFactory {
    /// Borrows a connection from a task on `thread`; returns the connection's number.
    func borrow(on thread: MarkedThreadExecutor) async throws -> Int {
        try await thread.run { try await self.withConnection { $0.id } }
    }
}

extension MarkedThreadExecutor {
    /// Runs `body` in a task that prefers this thread.
    func run<R: Sendable>(_ body: @escaping @Sendable () async throws -> R) async throws -> R {
        try await Task(executorPreference: self) { try await body() }.value
    }
}

/// Runs `body` with a running pool of one fake connection that owns a marked thread.
private func withMarkedPool(
    _ configuration: PoolConfiguration = .testing(minimum: 1, maximum: 1),
    _ body: (FakePool, FakeConnection, MarkedThreadExecutor, ManualClock) async throws -> Void
) async throws {
    let thread = MarkedThreadExecutor()
    defer { thread.stop() }
    let factory = FakeConnectionFactory(threadMarks: [thread.mark])
    let clock = ManualClock()
    let pool = try ConnectionPool(factory: factory, target: "db-a", configuration: configuration, clock: clock)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await pool.run() }
        await eventually("the connection is made") { pool.gauges.idle == 1 }
        do {
            try await body(pool, try #require(factory.connections.first), thread, clock)
        } catch {
            group.cancelAll()
            throw error
        }
        await pool.shutdown()
        try await group.waitForAll()
    }
}
