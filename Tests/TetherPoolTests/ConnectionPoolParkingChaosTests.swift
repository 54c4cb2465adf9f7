import Testing
import TetherTestKit

@testable import TetherPool

/// Borrowers on connection threads and elsewhere whose operations fail in every way, callers
/// cancelled at every point, time that jumps past keep-alives, idle timeouts, lifetimes and
/// drains, swaps and reconnects: afterwards no lease, count or connection is lost or doubled.
@Suite("ConnectionPool: parking under failures, cancellations and time", .timeLimit(.minutes(2)))
struct ConnectionPoolParkingChaosTests {
    @Test("mixed failures, cancellations, clock jumps and swaps leave exact counts and close every connection")
    func mixedLoadKeepsCountsExact() async throws {
        let threads = (0..<3).map { _ in MarkedThreadExecutor() }
        defer { threads.forEach { $0.stop() } }
        let factory = FakeConnectionFactory(threadMarks: threads.map(\.mark))
        var configuration = PoolConfiguration.testing(minimum: 2, maximum: 3)
        configuration.keepAliveThreshold = .seconds(3)
        configuration.idleTimeout = .seconds(8)
        configuration.maximumLifetime = .seconds(20)
        configuration.acquireTimeout = .seconds(4)
        configuration.swapDrainTimeout = .seconds(2)
        configuration.reconnectDrainTimeout = .seconds(3)
        let clock = ManualClock()
        let pool = try ConnectionPool(factory: factory, target: "db-0", configuration: configuration, clock: clock)
        let finished = Recorder<Int>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await pool.run() }
            await eventually("the minimum is made") { pool.gauges.idle == 2 }
            for worker in 0..<6 {
                group.addTask(executorPreference: worker < 3 ? threads[worker] : nil) {
                    var random = SeededGenerator(seed: UInt64(worker + 1))
                    for _ in 0..<3_000 {
                        await pool.borrowOnce(using: &random)
                    }
                    finished.append(worker)
                }
            }
            let started = await stir(pool, threads: threads, clock: clock) { finished.all.count == 6 }
            for _ in 0..<6 {
                try await group.next()
            }
            await settle(started, clock: clock)
            let gauges = pool.gauges
            #expect(gauges.leased == 0)
            #expect(gauges.waiting == 0)
            #expect(gauges.activeOperations == 0)
            #expect(pool.state.withLock { $0.machine.leasedTotal } == pool.state.withLock { $0.parkedCount })
            await pool.shutdown()
            try await group.waitForAll()
        }
        #expect(factory.openConnections.isEmpty)
        #expect(pool.state.withLock { $0.cells.isEmpty && $0.connections.isEmpty })
        let counters = pool.counters
        #expect(counters.closed.values.reduce(0, +) == counters.created)
    }
}

/// Until `done`, jumps the clock, swaps, reconnects, kills connections and starts borrowers
/// that are cancelled; returns the tasks it started, which may still run.
private func stir(
    _ pool: FakePool, threads: [MarkedThreadExecutor], clock: ManualClock, until done: () -> Bool
) async -> [Task<Void, Never>] {
    var random = SeededGenerator(seed: 99)
    var started: [Task<Void, Never>] = []
    var round = 0
    while !done() {
        round += 1
        switch Int.random(in: 0..<1000, using: &random) {
        case 0..<400:
            clock.advance(by: .milliseconds(Int.random(in: 100...1500, using: &random)))
        case 400..<405:
            let target = "db-\(round)"
            started.append(Task { _ = await pool.swap(to: target) })
        case 405..<408:
            started.append(Task { _ = await pool.reconnect() })
        case 408..<413:
            pool.factory.openConnections.randomElement(using: &random)?.kill()
        default:
            let thread = Bool.random(using: &random) ? threads.randomElement(using: &random) : nil
            let borrower = Task(executorPreference: thread) { @Sendable in
                _ = try? await pool.withConnection { connection in
                    await Task.yield()
                    try Task.checkCancellation()
                    try connection.perform()
                }
            }
            for _ in 0..<Int.random(in: 0..<4, using: &random) {
                await Task.yield()
            }
            borrower.cancel()
            started.append(borrower)
        }
        await Task.yield()
    }
    return started
}

/// Moves the clock on until every task has ended (a swap's drain may need its timeout).
private func settle(_ tasks: [Task<Void, Never>], clock: ManualClock) async {
    let ended = Recorder<Int>()
    let watchers = tasks.map { task in
        Task {
            await task.value
            ended.append(1)
        }
    }
    await eventually("every swap and borrower ends") {
        clock.advance(by: .milliseconds(100))
        return ended.all.count == tasks.count
    }
    for watcher in watchers {
        await watcher.value
    }
}

extension ConnectionPool where Factory == FakeConnectionFactory {
    /// One borrow that succeeds, throws something of every kind, leaves a transaction open,
    /// or nests; every outcome is allowed, only the counts afterwards matter.
    fileprivate func borrowOnce(using random: inout SeededGenerator) async {
        let choice = Int.random(in: 0..<1000, using: &random)
        let idempotent = Bool.random(using: &random)
        _ = try? await withConnection(idempotent: idempotent) { connection in
            switch choice {
            case 0..<820:
                try connection.perform()
            case 820..<900:
                throw FakeConnectionError.refused
            case 900..<905:
                throw FakeConnectionError.broken
            case 905..<910:
                throw FakeConnectionError.brokenBeforeSend
            case 910..<915:
                throw FakeConnectionError.outcomeUnknown
            case 915..<920:
                throw NothingSentError(FakeConnectionError.broken)
            case 920..<970:
                connection.beginTransaction()
            default:
                try await withConnection { try $0.perform() }
            }
        }
    }
}
