import Testing
import TetherPool
import TetherTestKit

@testable import TetherPool

/// `keepAliveInterval`: idle connections are pinged before a firewall forgets them.
@Suite("Keep-alive pings of idle connections")
struct PoolKeepAliveTests {
    private func configuration(minimum: Int = 1, maximum: Int = 1) -> PoolConfiguration {
        var configuration = PoolConfiguration.testing(minimum: minimum, maximum: maximum)
        configuration.keepAliveInterval = .seconds(10)
        return configuration
    }

    private func pings(_ actions: [Machine.Action]) -> [Machine.Lease] {
        actions.compactMap { if case .ping(let lease) = $0 { lease } else { nil } }
    }

    @Test("an idle connection is pinged once it sat unused for the interval, then again an interval after the ping")
    func pingedEveryInterval() {
        var machine = Machine(configuration: configuration())
        let id = machine.fill(1)[0]
        #expect(pings(machine.maintenanceTick(now: .seconds(9))).isEmpty)
        let pinged = pings(machine.maintenanceTick(now: .seconds(10)))
        #expect(pinged.map(\.connectionID) == [id])
        #expect(machine.gauges.leased == 1 && machine.gauges.idle == 0)
        #expect(machine.release(pinged[0], .reusable, now: .seconds(10)).isEmpty)
        #expect(pings(machine.maintenanceTick(now: .seconds(19))).isEmpty)
        #expect(pings(machine.maintenanceTick(now: .seconds(20))).count == 1)
        #expect(machine.counters.keepAlivePings == 2)
    }

    @Test("a connection in use is not pinged, and its last use restarts the interval")
    func usedConnectionIsNotPinged() {
        var machine = Machine(configuration: configuration())
        _ = machine.fill(1)
        let lease = machine.expectLease(at: .seconds(5))
        #expect(pings(machine.maintenanceTick(now: .seconds(12))).isEmpty)
        _ = machine.release(lease, .reusable, now: .seconds(12))
        #expect(pings(machine.maintenanceTick(now: .seconds(21))).isEmpty)
        #expect(pings(machine.maintenanceTick(now: .seconds(22))).count == 1)
    }

    @Test("a failed ping closes the connection as failed validation and the minimum makes another")
    func failedPingReplaces() {
        var machine = Machine(configuration: configuration())
        let id = machine.fill(1)[0]
        let pinged = pings(machine.maintenanceTick(now: .seconds(10)))
        let actions = machine.release(pinged[0], .discard(.failedValidation), now: .seconds(10))
        #expect(actions.closes.map(\.id) == [id])
        #expect(actions.closes.map(\.reason) == [.failedValidation])
        // The next tick restores the minimum, as after any close.
        #expect(machine.maintenanceTick(now: .seconds(11)).creations.count == 1)
    }

    @Test("a caller that arrives while the only connection is pinged gets it when the ping ends")
    func callerWaitsForPing() {
        var machine = Machine(configuration: configuration())
        _ = machine.fill(1)
        let pinged = pings(machine.maintenanceTick(now: .seconds(10)))
        _ = machine.expectWait(7, at: .seconds(10))
        let actions = machine.release(pinged[0], .reusable, now: .seconds(10))
        #expect(actions.handOffs.map(\.waiter) == [7])
    }

    @Test("a swap during a ping closes the pinged connection when the ping ends")
    func swapDuringPing() {
        var machine = Machine(configuration: configuration())
        let id = machine.fill(1)[0]
        let pinged = pings(machine.maintenanceTick(now: .seconds(10)))
        let swap = machine.requestSwap(id: 100, kind: .swap, now: .seconds(10))
        // The new generation takes over once its minimum is open; the old one then drains.
        for creation in swap.creations {
            _ = machine.created(creation.id, now: .seconds(10))
        }
        let actions = machine.release(pinged[0], .reusable, now: .seconds(11))
        #expect(actions.closes.map(\.id) == [id])
    }

    @Test("keepAliveInterval must be positive")
    func intervalMustBePositive() {
        var configuration = PoolConfiguration()
        configuration.keepAliveInterval = .zero
        #expect(throws: ConnectionPoolError.self) { try configuration.validate() }
    }

    @Test("the pool pings an idle connection through its factory and replaces one that fails the ping")
    func poolPingsThroughFactory() async throws {
        try await withFakePool(minimum: 1, maximum: 1) { configuration in
            configuration.keepAliveInterval = .seconds(10)
            configuration.keepAliveThreshold = nil
        } _: { pool, clock in
            await eventually("the minimum connection is open") { pool.gauges.idle == 1 }
            let first = pool.factory.connections[0]
            clock.advance(by: .seconds(11))
            await eventually("a ping through the factory") { pool.factory.validations == 1 && pool.gauges.idle == 1 }
            #expect(!first.isClosed)
            first.kill()
            clock.advance(by: .seconds(11))
            // Not waiting to see no connection idle: the ticks the clock's jump made due run one
            // after another, and one of them may restore the minimum before this looks.
            await eventually("the dead connection is closed") { first.isClosed }
            // A tick restores the minimum, as after any close.
            clock.advance(by: .seconds(1))
            await eventually("a new connection replaces it") {
                pool.factory.openConnections.count == 1 && pool.gauges.idle == 1
            }
            #expect(pool.counters.closed[.failedValidation] == 1)
            #expect(pool.counters.keepAlivePings == 2)
        }
    }
}
