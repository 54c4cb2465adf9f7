import Testing
import TetherPool
import TetherTestKit

@Suite("ConnectionPool: hot swap and reconnect")
struct ConnectionPoolSwapTests {
    @Test("a swap moves new callers to the new target and closes the old connections")
    func swapMovesCallers() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(minimum: 1, factory: factory) { pool, _ in
            await eventually("the minimum is open") { pool.gauges.idle == 1 }
            let report = await pool.swap(to: "db-b")
            #expect(report.generation == 2)
            #expect(!report.superseded)
            let target = try await pool.withConnection { $0.target }
            #expect(target == "db-b")
            #expect(factory.connections[0].isClosed)
            #expect(pool.gauges.generation == 2)
        }
    }

    @Test("P9: a connection of the old generation that finishes creating after the swap is closed on arrival")
    func lateArrivalClosed() async throws {
        let factory = FakeConnectionFactory()
        factory.script(.suspend)
        try await withFakePool(factory: factory) { pool, _ in
            let caller = Task { try await pool.withConnection { $0.target } }
            await eventually("the old generation's attempt hangs") { factory.suspendedAttempts == 1 }
            _ = await pool.swap(to: "db-b")
            let target = try await caller.value
            #expect(target == "db-b")
            factory.finishSuspendedAttempt(.succeed)
            await eventually("the late connection is closed") { factory.connections.contains { $0.target == "db-a" } }
            await eventually("the late connection is closed") {
                factory.connections.filter { $0.target == "db-a" }.allSatisfy(\.isClosed)
            }
            #expect(pool.counters.closed[.lateArrival] == 1)
        }
    }

    @Test("P11: a drain that times out cancels the straggler, closes its connection and reports it")
    func forcedDrain() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(factory: factory) { pool, clock in
            let straggler = Task { try await pool.withConnection { try await $0.hang() } }
            await eventually("the operation runs") { pool.activeOperations == 1 }
            let swap = Task { await pool.swap(to: "db-b") }
            await eventually("the drain waits") { clock.sleeperDeadlines.contains { $0.offset == .seconds(5) } }
            clock.advance(by: .seconds(5))
            let report = await swap.value
            #expect(
                report == SwapReport(generation: 2, drained: 0, forced: 1, duration: .seconds(5), superseded: false))
            await #expect(throws: FakeConnectionError.cancelled) { try await straggler.value }
            #expect(factory.connections[0].cancellations == 1)
            #expect(factory.connections[0].isClosed)
            #expect(pool.activeOperations == 0)
            #expect(pool.gauges.leased == 0)
        }
    }

    @Test(
        "P11: an operation cut by a forced drain after it did work is not replayed as sent-nothing",
        arguments: [false, true])
    func forcedDrainAfterWork(idempotent: Bool) async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(factory: factory) { pool, clock in
            // A first step that reached the server, then one that finds the connection closed:
            // the kind ODBC gives a session on a closed connection (nothing of it was sent).
            let operation = Task {
                try await pool.withConnection(idempotent: idempotent) { connection in
                    try connection.perform()
                    guard connection.target == "db-a" else {
                        return connection.target
                    }
                    try? await connection.hang()
                    throw FakeConnectionError.brokenBeforeSend
                }
            }
            await eventually("the operation runs") { pool.activeOperations == 1 }
            let swap = Task { await pool.swap(to: "db-b") }
            await eventually("the drain waits") { clock.sleeperDeadlines.contains { $0.offset == .seconds(5) } }
            clock.advance(by: .seconds(5))
            #expect(await swap.value.forced == 1)
            if idempotent {
                let target = try await operation.value
                #expect(target == "db-b")
                #expect(factory.connections.filter { $0.target == "db-b" }.map(\.operations).reduce(0, +) == 1)
            } else {
                let error = await #expect(throws: ConnectionPoolError.self) { try await operation.value }
                #expect(error?.code == .outcomeUnknown)
                #expect(factory.connections.allSatisfy { $0.target == "db-a" || $0.operations == 0 })
            }
            #expect(factory.connections[0].operations == 2)  // the step that did work, and the hang
            #expect(pool.gauges.leased == 0)
        }
    }

    @Test("a swap to a target that refuses the credentials changes nothing and says so")
    func swapRefused() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(minimum: 1, factory: factory) { pool, _ in
            await eventually("the minimum is open") { pool.gauges.idle == 1 }
            factory.script(.fail(FakeConnectionError.authentication))
            let report = await pool.swap(to: "db-b")
            #expect(report.abandoned)
            #expect(report.description.contains("abandoned"))
            #expect(pool.gauges.generation == 1)
            let served = try await pool.withConnection(idempotent: false) { $0.target }
            #expect(served == "db-a")
            #expect(!factory.connections[0].isClosed)
            let retried = await pool.swap(to: "db-c")
            #expect(!retried.abandoned)
            let swapped = try await pool.withConnection { $0.target }
            #expect(swapped == "db-c")
        }
    }

    @Test("a reconnect during a swap's preparation rebuilds the target in service; the swap is superseded")
    func reconnectDuringPreparation() async throws {
        try await withSwapPreparing { pool, swap in
            let report = await pool.reconnect()
            #expect(!report.abandoned && !report.superseded)
            #expect(await swap.value.superseded)
            let target = try await pool.withConnection { $0.target }
            #expect(target == "db-a")
        }
    }

    @Test("cancelling the caller of a swap still preparing abandons the swap")
    func cancelledSwap() async throws {
        try await withSwapPreparing { pool, swap in
            swap.cancel()
            #expect(await swap.value.abandoned)
            let target = try await pool.withConnection { $0.target }
            #expect(target == "db-a")
            #expect(pool.gauges.generation == 1)
        }
    }

    /// A pool of one connection to "db-a" with a swap to "db-b" preparing: the new target refused
    /// once, and its next attempt waits on the manual clock.
    private func withSwapPreparing(_ body: (FakePool, Task<SwapReport, Never>) async throws -> Void) async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(minimum: 1, factory: factory) { pool, _ in
            await eventually("the minimum is open") { pool.gauges.idle == 1 }
            factory.script(.fail(FakeConnectionError.refused))
            let swap = Task { await pool.swap(to: "db-b") }
            await eventually("the new target refused once") { factory.attempts == 2 }
            try await body(pool, swap)
        }
    }

    @Test("a drain ends as soon as the old generation's operations finish")
    func drainWaitsForOperations() async throws {
        try await withFakePool { pool, _ in
            let release = Gate()
            let busy = Task { try await pool.withConnection { _ in await release.wait() } }
            await eventually("the operation runs") { pool.activeOperations(inGeneration: 1) == 1 }
            let swap = Task { await pool.swap(to: "db-b") }
            await eventually("the new generation serves") { pool.gauges.generation == 2 }
            #expect(pool.activeOperations(inGeneration: 1) == 1)
            release.open()
            try await busy.value
            let report = await swap.value
            #expect(report.drained == 1)
            #expect(report.forced == 0)
        }
    }

    @Test("P12: a swap during another swap's preparation wins; no caller fails and nothing old survives")
    func newestSwapWins() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(minimum: 1, maximum: 1, factory: factory) { pool, _ in
            await eventually("the minimum is open") { pool.gauges.idle == 1 }
            factory.script(.suspend)
            try await withThrowingTaskGroup(of: Void.self) { callers in
                for _ in 0..<4 {
                    callers.addTask {
                        for _ in 0..<20 {
                            try await pool.withConnection { try $0.perform() }
                        }
                    }
                }
                let first = Task { await pool.swap(to: "db-b") }
                await eventually("the first swap prepares") { factory.suspendedAttempts == 1 }
                let second = await pool.swap(to: "db-c")
                let superseded = await first.value.superseded
                #expect(superseded)
                #expect(!second.superseded)
                #expect(factory.finishSuspendedAttempt(.succeed))
                try await callers.waitForAll()
            }
            // The finished attempt makes its connection on the creating task, after this one
            // resumed it; until it exists, "every old connection is closed" holds vacuously.
            await eventually("the late db-b connection arrives and is closed") {
                factory.connections.contains { $0.target == "db-b" }
                    && factory.connections.filter { $0.target != "db-c" }.allSatisfy(\.isClosed)
            }
            #expect(factory.openConnections.allSatisfy { $0.target == "db-c" })
        }
    }

    @Test("reconnect replaces every connection with the same target")
    func reconnectReplacesAll() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(minimum: 2, factory: factory) { pool, _ in
            await eventually("the minimum is open") { pool.gauges.idle == 2 }
            let report = await pool.reconnect()
            #expect(report.generation == 2)
            await eventually("the new minimum is open") { pool.gauges.idle == 2 }
            #expect(factory.connections[0...1].allSatisfy { $0.isClosed })
            #expect(factory.openConnections.map(\.target) == ["db-a", "db-a"])
        }
    }

    @Test("16 tasks keep working while the pool swaps ten times between two targets, and none fails")
    func swapsUnderLoad() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(minimum: 2, maximum: 4, factory: factory) { pool, _ in
            let stop = Gate()
            let completed = Recorder<String>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        while !stop.isOpen {
                            let target = try await pool.withConnection { connection in
                                try connection.perform()
                                await Task.yield()
                                return connection.target
                            }
                            completed.append(target)
                        }
                    }
                }
                var reports: [SwapReport] = []
                for round in 0..<10 {
                    reports.append(await pool.swap(to: round % 2 == 0 ? "db-b" : "db-a"))
                }
                stop.open()
                try await group.waitForAll()
                #expect(reports.map(\.generation) == Array(2...11))
                #expect(reports.allSatisfy { $0.forced == 0 && !$0.superseded })
            }
            #expect(Set(completed.all) == ["db-a", "db-b"])
            #expect(factory.openConnections.allSatisfy { $0.target == "db-a" })
            #expect(pool.gauges.generation == 11)
        }
    }
}
