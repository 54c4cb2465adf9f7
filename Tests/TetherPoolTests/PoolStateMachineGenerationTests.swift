import Testing

@testable import TetherPool

@Suite("PoolStateMachine: generations, swaps and drains")
struct PoolStateMachineGenerationTests {
    @Test("a swap makes the minimum first, then moves callers and drains the old generation")
    func swapPreparesThenDrains() {
        var machine = Machine(configuration: .testing(minimum: 1, maximum: 2))
        let filled = machine.fill(2)
        let old = machine.expectLease()
        let requested = machine.requestSwap(id: 100, kind: .swap, now: .seconds(1))
        #expect(requested.creations.map(\.generation) == [2])
        #expect(machine.current == 1, "the old generation serves until the new one is ready")

        let promoted = machine.created(requested.creations[0].id, now: .seconds(2), lifetimeFactor: 0)
        #expect(machine.current == 2)
        #expect(promoted.closes.map(\.id) == [filled[0]], "the old idle connection closes at once")
        #expect(promoted.drainTimers.map(\.deadline) == [.seconds(7)])
        #expect(promoted.swapReports.isEmpty)
        let next = machine.expectLease(at: .seconds(3))
        #expect(next.generation == 2)

        let drained = machine.release(old, .reusable, now: .seconds(4))
        #expect(drained.closes.map(\.reason) == [.retired])
        let report = drained.swapReports.first?.report
        #expect(report == SwapReport(generation: 2, drained: 1, forced: 0, duration: .seconds(3), superseded: false))
    }

    struct Refused: Error {}

    @Test("a swap whose new target refuses the credentials is abandoned; the old generation serves on")
    func swapRefusedByNewTarget() {
        var machine = Machine(configuration: .testing(minimum: 1, maximum: 2))
        _ = machine.fill(1)
        let requested = machine.requestSwap(id: 100, kind: .swap, now: .seconds(1))
        let creation = requested.creations[0].id
        let (transient, retry) = machine.creationAttemptFailed(
            creation: creation, error: Refused(), kind: .other, now: .seconds(2))
        #expect(retry, "a failure that may pass is tried again")
        #expect(transient.isEmpty)
        #expect(machine.current == 1)

        let (refused, again) = machine.creationAttemptFailed(
            creation: creation, error: Refused(), kind: .authentication, now: .seconds(3))
        #expect(!again)
        let report = refused.swapReports.first?.report
        #expect(
            report
                == SwapReport(
                    generation: 2, drained: 0, forced: 0, duration: .seconds(2), superseded: false, abandoned: true))
        #expect(machine.current == 1)
        #expect(machine.latest == 1)
        #expect(machine.expectLease(at: .seconds(4)).generation == 1)

        let next = machine.requestSwap(id: 101, kind: .swap, now: .seconds(5))
        #expect(next.creations.map(\.generation) == [3], "an abandoned generation's number is not given again")
        _ = machine.created(next.creations[0].id, now: .seconds(6))
        #expect(machine.current == 3)
    }

    @Test("a swap whose creation policy gives up on the new target is abandoned")
    func swapUnreachableNewTarget() {
        var machine = Machine(configuration: .testing(minimum: 1, maximum: 2))
        _ = machine.fill(1)
        let requested = machine.requestSwap(id: 100, kind: .swap, now: .seconds(1))
        let gaveUp = machine.creationAbandoned(requested.creations[0].id, now: .seconds(9))
        #expect(gaveUp.swapReports.first?.report.abandoned == true)
        #expect(machine.current == 1)
        #expect(machine.expectLease(at: .seconds(10)).generation == 1)
    }

    @Test("a reconnect takes over at its first failed attempt, so that callers get the real cause")
    func reconnectTakesOverOnFailure() {
        var machine = Machine(configuration: .testing(minimum: 1, maximum: 2))
        _ = machine.fill(1)
        let requested = machine.requestSwap(id: 100, kind: .reconnect, now: .seconds(1))
        _ = machine.creationAttemptFailed(
            creation: requested.creations[0].id, error: Refused(), kind: .other, now: .seconds(2))
        #expect(machine.current == 2)
    }

    @Test("a reconnect drains with its own, longer timeout")
    func reconnectDrainTimeout() {
        var machine = Machine(configuration: .testing())
        _ = machine.fill(1)
        _ = machine.expectLease()
        let actions = machine.requestSwap(id: 100, kind: .reconnect, now: .seconds(1))
        #expect(actions.drainTimers.map(\.deadline) == [.seconds(36)])
        #expect(machine.latest == 2)
    }

    @Test("P11: a drain that times out cancels and closes the straggler and reports it forced")
    func forcedDrain() {
        var machine = Machine(configuration: .testing())
        _ = machine.fill(2)
        let finishing = machine.expectLease()
        let hanging = machine.expectLease()
        let swap = machine.requestSwap(id: 100, kind: .swap, now: .zero)
        _ = machine.created(swap.creations[0].id, now: .zero)
        _ = machine.release(finishing, .reusable, now: .seconds(1))
        let fired = machine.drainTimerFired(generation: 1, now: .seconds(5))
        #expect(fired.forcedCloses == [hanging.connectionID])
        let report = fired.swapReports.first?.report
        #expect(report == SwapReport(generation: 2, drained: 1, forced: 1, duration: .seconds(5), superseded: false))
        let late = machine.release(hanging, .reusable, now: .seconds(9))
        #expect(late.isEmpty, "the forced connection is already closed")
        #expect(machine.gauges.leased == 0)
    }

    @Test("P9: a connection of a retired generation that finishes late is closed on arrival")
    func lateArrivalIsClosed() {
        var machine = Machine(configuration: .testing())
        let waiting = machine.expectWait(1)
        let swap = machine.requestSwap(id: 100, kind: .swap, now: .seconds(1))
        let promoted = machine.created(swap.creations[0].id, now: .seconds(2))
        #expect(promoted.handOffs.map(\.lease.generation) == [2], "the waiter is served by the new generation")
        let late = machine.created(waiting.creations[0].id, now: .seconds(3), lifetimeFactor: 0)
        #expect(late.closes.map(\.reason) == [.lateArrival])
        #expect(late.handOffs.isEmpty)
    }

    @Test("P12: a swap during another's preparation wins; the first is superseded and nothing old survives")
    func newestSwapWins() {
        var machine = Machine(configuration: .testing(minimum: 1, maximum: 2))
        let filled = machine.fill(1)
        let busy = machine.expectLease()
        let first = machine.requestSwap(id: 100, kind: .swap, now: .seconds(1))
        let second = machine.requestSwap(id: 101, kind: .swap, now: .seconds(2))
        #expect(second.swapReports.map(\.id) == [100])
        #expect(second.swapReports.first?.report.superseded == true)

        let stale = machine.created(first.creations[0].id, now: .seconds(3), lifetimeFactor: 0)
        #expect(stale.closes.map(\.reason) == [.lateArrival])
        let fresh = machine.created(second.creations[0].id, now: .seconds(3), lifetimeFactor: 0)
        #expect(machine.current == 3)
        #expect(fresh.swapReports.isEmpty)
        let done = machine.release(busy, .reusable, now: .seconds(4))
        #expect(done.swapReports.map(\.id) == [101])
        #expect(done.closes.map(\.id) == filled)
        #expect(Set(machine.generations.keys) == [3])
    }

    @Test("a swap requested while an older generation still drains waits for both drains")
    func swapDuringDrain() {
        var machine = Machine(configuration: .testing())
        _ = machine.fill(1)
        let a = machine.expectLease()
        let first = machine.requestSwap(id: 100, kind: .swap, now: .zero)
        _ = machine.created(first.creations[0].id, now: .zero)
        let leaseB = machine.expectLease(at: .seconds(1))
        #expect(leaseB.generation == 2)
        let second = machine.requestSwap(id: 101, kind: .swap, now: .seconds(2))
        #expect(second.swapReports.isEmpty)
        _ = machine.created(second.creations[0].id, now: .seconds(2))
        #expect(machine.current == 3)
        let afterB = machine.release(leaseB, .reusable, now: .seconds(3))
        #expect(afterB.swapReports.isEmpty, "generation 1 still drains")
        let afterA = machine.release(a, .reusable, now: .seconds(4))
        #expect(afterA.swapReports.map(\.id).sorted() == [100, 101])
    }

    @Test("shutdown fails waiters, closes idle connections and completes when the last lease is back")
    func shutdown() {
        var machine = Machine(configuration: .testing(maximum: 2))
        _ = machine.fill(2)
        let lease = machine.expectLease()
        _ = machine.expectLease()
        _ = machine.expectWait(9)
        let actions = machine.shutdown(now: .zero)
        #expect(actions.failures.map(\.error.code) == [.shutdown])
        guard case .fail(let error) = machine.acquire(waiter: 10, now: .zero) else {
            Issue.record("acquire after shutdown must fail")
            return
        }
        #expect(error.code == .shutdown)
        let first = machine.release(lease, .reusable, now: .seconds(1))
        #expect(first.closes.map(\.reason) == [.shutdown])
        let timedOut = machine.drainTimerFired(generation: 1, now: .seconds(35))
        #expect(timedOut.contains { if case .completeShutdown = $0 { true } else { false } })
    }
}
