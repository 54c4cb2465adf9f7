import Synchronization
import Testing
import TetherLocking
import TetherPool
import TetherTestKit

@Suite("ConnectionPool: creation policy, lifetimes and events")
struct ConnectionPoolMaintenanceTests {
    @Test("creation for the minimum tries again at the first maintenance tick after each hold, until it succeeds")
    func creationRetriesAfterHolds() async throws {
        let factory = FakeConnectionFactory()
        factory.script(.fail(FakeConnectionError.refused), .fail(FakeConnectionError.refused))
        try await withFakePool(minimum: 1, factory: factory) { pool, clock in
            await factory.waitForAttempts(1)
            await eventually("the first attempt failed") { pool.counters.failedAttempts == 1 }
            #expect(factory.attempts == 1, "no attempt before the hold and the tick")
            // The holds are the creation policy's delays: at most 300 ms, then at most 480 ms.
            clock.advance(by: .seconds(1))
            await factory.waitForAttempts(2)
            await eventually("the second attempt failed") { pool.counters.failedAttempts == 2 }
            clock.advance(by: .seconds(1))
            await eventually("the minimum is open") { pool.gauges.idle == 1 }
            #expect(factory.attempts == 3)
            #expect(pool.counters.failedAttempts == 2)
        }
    }

    @Test("an aged connection is replaced first and closed once the replacement is in")
    func lifetimeReplacement() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(minimum: 1, factory: factory, configure: { $0.maximumLifetime = .seconds(100) }) {
            pool, clock in
            await eventually("the minimum is open") { pool.gauges.idle == 1 }
            clock.advance(by: .seconds(100))
            await eventually("the replacement is in and the old one closed") {
                factory.connections.count == 2 && factory.connections[0].isClosed
            }
            #expect(pool.gauges.idle == 1)
            #expect(pool.counters.closed[.lifetime] == 1)
        }
    }

    @Test("the delegate hears of creations, leases, closes and swaps")
    func delegateEvents() async throws {
        let events = EventLog()
        try await withFakePool(delegate: events) { pool, _ in
            try await pool.withConnection { _ in }
            _ = await pool.swap(to: "db-b")
        }
        #expect(events.all.prefix(2) == ["created 1", "leased"])
        #expect(events.all.contains("closed 1 retired"))
        #expect(events.all.contains("swapped 2"))
    }
}

/// Records a pool's events as short strings.
final class EventLog: ConnectionPoolDelegate {
    private let events = Locked<[String]>([])

    var all: [String] { events.withLock { $0 } }

    func connectionCreated(generation: Int) { append("created \(generation)") }
    func connectionClosed(generation: Int, reason: CloseReason) { append("closed \(generation) \(reason)") }
    func leaseAcquired(waited: Duration) { append("leased") }
    func swapFinished(_ report: SwapReport) { append("swapped \(report.generation)") }
    func attemptsOutlivedShutdown(_ count: Int) { append("outlived \(count)") }

    private func append(_ event: String) {
        events.withLock { $0.append(event) }
    }
}
