import Testing

@testable import TetherPool

@Suite("PoolStateMachine: leases and waiters")
struct PoolStateMachineLeaseTests {
    @Test("a caller of an empty pool waits and gets the connection made for it")
    func waiterGetsNewConnection() {
        var machine = Machine(configuration: .testing())
        let actions = machine.expectWait(1)
        #expect(actions.creations.map(\.generation) == [1])
        let created = machine.created(actions.creations[0].id, now: .seconds(1), lifetimeFactor: 0)
        #expect(created.handOffs.map(\.waiter) == [1])
        #expect(machine.gauges == PoolGauges(idle: 0, leased: 1, creating: 0, waiting: 0, generation: 1))
    }

    @Test("a released connection goes idle and is lent again without a new creation")
    func releasedConnectionIsReused() {
        var machine = Machine(configuration: .testing())
        _ = machine.fill(1)
        let lease = machine.expectLease()
        let released = machine.release(lease, .reusable, now: .seconds(1))
        #expect(released.isEmpty)
        let again = machine.expectLease(at: .seconds(2))
        #expect(again.connectionID == lease.connectionID)
    }

    @Test("a connection given back late counts idle from its last use: the idle timeout closes it on time")
    func lateReturnKeepsLastUse() {
        var configuration = PoolConfiguration.testing(minimum: 0, maximum: 1)
        configuration.idleTimeout = .seconds(60)
        var machine = Machine(configuration: configuration)
        _ = machine.fill(1)
        let lease = machine.expectLease()
        // Parked on its thread from 10 s on, the connection goes back to the machine at 50 s.
        #expect(machine.release(lease, .reusable, now: .seconds(50), lastUsed: .seconds(10)).isEmpty)
        #expect(machine.maintenanceTick(now: .seconds(69)).closes.isEmpty)
        #expect(machine.maintenanceTick(now: .seconds(71)).closes.map(\.reason) == [.idleTimeout])
    }

    @Test("P10: waiters are served first come, first served")
    func waitersAreServedInOrder() {
        var machine = Machine(configuration: .testing(maximum: 1))
        _ = machine.fill(1)
        var lease = machine.expectLease()
        for waiter in 10...14 {
            let waiting = machine.expectWait(waiter)
            #expect(waiting.creations.isEmpty)
        }
        var served: [Int] = []
        for step in 1...5 {
            let handOffs = machine.release(lease, .reusable, now: .seconds(step)).handOffs
            served += handOffs.map(\.waiter)
            lease = handOffs[0].lease
        }
        #expect(served == [10, 11, 12, 13, 14])
    }

    @Test("a new caller queues behind waiters even when a connection is idle")
    func newCallerDoesNotOvertake() {
        var machine = Machine(configuration: .testing(maximum: 1))
        _ = machine.fill(1)
        let lease = machine.expectLease()
        _ = machine.expectWait(2)
        let overtaking = machine.tryAcquireIdle(now: .zero)
        #expect(overtaking == nil)
        let released = machine.release(lease, .reusable, now: .seconds(1))
        #expect(released.handOffs.map(\.waiter) == [2])
    }

    @Test("P5: a waiter cancelled before the hand-off is skipped; one cancelled after keeps exact counts")
    func cancellationRacingHandOff() {
        var machine = Machine(configuration: .testing(maximum: 1))
        _ = machine.fill(1)
        let lease = machine.expectLease()
        _ = machine.expectWait(2)
        _ = machine.expectWait(3)
        let removed = machine.cancelWaiter(2)
        #expect(removed)
        let handOff = machine.release(lease, .reusable, now: .seconds(1)).handOffs
        #expect(handOff.map(\.waiter) == [3])
        let stillWaiting = machine.cancelWaiter(3)
        #expect(!stillWaiting, "the hand-off won; the shell must give the connection back")
        let returned = machine.release(handOff[0].lease, .reusable, now: .seconds(2))
        #expect(returned.isEmpty)
        #expect(machine.gauges == PoolGauges(idle: 1, leased: 0, creating: 0, waiting: 0, generation: 1))
    }

    @Test("an acquire timeout reports an exhausted pool")
    func acquireTimeout() {
        var machine = Machine(configuration: .testing(maximum: 1))
        _ = machine.fill(1)
        _ = machine.expectLease()
        let actions = machine.expectWait(2, at: .seconds(1))
        #expect(actions.contains { if case .armWaiterTimer(.seconds(11)) = $0 { true } else { false } })
        let early = machine.waiterTimerFired(armedFor: .seconds(11), now: .seconds(10))
        #expect(early.failures.isEmpty)
        let failures = machine.waiterTimerFired(armedFor: .seconds(11), now: .seconds(11)).failures
        #expect(failures.map(\.waiter) == [2])
        #expect(failures.first?.error.code == .acquireTimeout)
        #expect(failures.first?.error.currentTaskHoldsLease == false)
        #expect(machine.counters.acquireTimeouts == 1)
    }

    @Test("P6: a timeout of a task that holds a lease says so; another task's timeout does not")
    func nestedAcquisitionDiagnostic() {
        var machine = Machine(configuration: .testing(maximum: 1))
        _ = machine.fill(1)
        _ = machine.expectLease(holder: 5)
        _ = machine.expectWait(2, holder: 5)
        _ = machine.expectWait(3, holder: 6)
        let failures = machine.waiterTimerFired(armedFor: .seconds(10), now: .seconds(10)).failures
        let nested = failures.first { $0.waiter == 2 }?.error
        #expect(nested?.code == .acquireTimeout)
        #expect(nested?.currentTaskHoldsLease == true)
        #expect(nested?.description.contains("nested acquisition") == true)
        #expect(failures.first { $0.waiter == 3 }?.error.currentTaskHoldsLease == false)
    }

    @Test("P6: a connection handed to a waiter counts as held by the waiting task")
    func handOffCarriesHolder() {
        var machine = Machine(configuration: .testing(maximum: 1))
        _ = machine.fill(1)
        let first = machine.expectLease(holder: 5)
        _ = machine.expectWait(2, holder: 6)
        _ = machine.release(first, .reusable, now: .seconds(1))
        _ = machine.expectWait(3, at: .seconds(1), holder: 6)
        let error = machine.waiterTimerFired(armedFor: .seconds(11), now: .seconds(11)).failures.first?.error
        #expect(error?.currentTaskHoldsLease == true)
    }

    @Test("an evicted connection frees its slot and marks its generation's idle connections for validation")
    func evictionMarksIdleSuspect() {
        var machine = Machine(configuration: .testing(maximum: 2))
        _ = machine.fill(2)
        let broken = machine.expectLease()
        let actions = machine.release(broken, .discard(.broken), now: .seconds(1))
        #expect(actions.closes.map(\.reason) == [.broken])
        #expect(machine.counters.evictions == 1)
        let next = machine.expectLease(at: .seconds(2))
        #expect(next.needsValidation)
    }

    @Test("a connection given back unused stays due for validation and keeps its idle time")
    func unusedKeepsValidationDue() {
        var machine = Machine(configuration: .testing())
        _ = machine.fill(1)
        let stale = machine.expectLease(at: .seconds(60))
        #expect(stale.needsValidation)
        let actions = machine.release(stale, .unused, now: .seconds(61))
        #expect(actions.closes.isEmpty)
        let again = machine.expectLease(at: .seconds(62))
        #expect(again.needsValidation)
        _ = machine.release(again, .reusable, now: .seconds(62))
        #expect(!machine.expectLease(at: .seconds(63)).needsValidation)
    }

    @Test("a connection idle past the keep-alive threshold is validated before use")
    func keepAliveValidation() {
        var machine = Machine(configuration: .testing())
        _ = machine.fill(1)
        let fresh = machine.expectLease(at: .seconds(29))
        #expect(!fresh.needsValidation)
        _ = machine.release(fresh, .reusable, now: .seconds(29))
        let stale = machine.expectLease(at: .seconds(60))
        #expect(stale.needsValidation)
    }
}
