import Testing
import TetherRetry

@testable import TetherPool

@Suite("PoolStateMachine: holding off callers' attempts while nothing connects")
struct PoolStateMachineHoldOffTests {
    struct Refused: Error {}

    /// Holds of 1, 2 and 4 seconds, without jitter, so that the test can name the instants.
    private static func configuration(minimum: Int = 0, maximum: Int = 4) -> PoolConfiguration {
        var configuration = PoolConfiguration.testing(minimum: minimum, maximum: maximum)
        configuration.creationPolicy = try! ReconnectPolicy(
            baseDelay: .seconds(1), multiplier: 2, maximumDelay: .seconds(4), jitter: .none)
        return configuration
    }

    @Test("P3: after a failed attempt leaves nothing open, callers fail at once until the hold ends")
    func callersFailDuringHold() {
        var machine = Machine(configuration: Self.configuration())
        failFirstAttempt(&machine)
        guard case .fail(let error) = machine.acquire(waiter: 2, now: .milliseconds(999)) else {
            Issue.record("a caller within the hold waited or got a connection")
            return
        }
        #expect(error.code == .connectFailed)
        #expect(error.underlying is Refused)
        #expect(machine.gauges.creating == 0, "no attempt was started for it")
        #expect(machine.expectWait(3, at: .seconds(1)).creations.count == 1)
    }

    @Test("the holds grow with every failed attempt in a row; a connection made ends the run")
    func holdsGrowAndReset() {
        var machine = Machine(configuration: Self.configuration())
        var now = Duration.zero
        for (waiter, hold) in zip(1..., [1, 2, 4, 4]) {
            let creation = machine.expectWait(waiter, at: now).creations[0].id
            _ = machine.creationAttemptFailed(creation: creation, error: Refused(), kind: .other, now: now)
            #expect(isHeldOff(&machine, at: now + .seconds(hold) - .milliseconds(1)))
            now += .seconds(hold)
        }
        let creation = machine.expectWait(10, at: now).creations[0].id
        let handOffs = machine.created(creation, now: now).handOffs
        #expect(handOffs.map(\.waiter) == [10])
        // The connection breaks; the next failure holds for the first delay again.
        _ = machine.release(handOffs[0].lease, .discard(.broken), now: now)
        let again = machine.expectWait(11, at: now).creations[0].id
        _ = machine.creationAttemptFailed(creation: again, error: Refused(), kind: .other, now: now)
        #expect(isHeldOff(&machine, at: now + .milliseconds(999)))
        #expect(!isHeldOff(&machine, at: now + .seconds(1)))
    }

    @Test("while nothing connects, one attempt answers every waiter; the rest get theirs once it succeeds")
    func oneAttemptAtATime() {
        var machine = Machine(configuration: Self.configuration())
        failFirstAttempt(&machine)
        let probe = machine.expectWait(2, at: .seconds(1)).creations
        #expect(probe.count == 1)
        #expect(machine.expectWait(3, at: .seconds(1)).creations.isEmpty)
        #expect(machine.expectWait(4, at: .seconds(1)).creations.isEmpty)
        let made = machine.created(probe[0].id, now: .seconds(1))
        #expect(made.handOffs.map(\.waiter) == [2])
        #expect(made.creations.count == 2, "waiters 3 and 4 each get an attempt now")
    }

    @Test("refused credentials hold callers off as well, failing them with the refusal")
    func refusalHoldsOff() {
        var machine = Machine(configuration: Self.configuration())
        let first = machine.expectWait(1)
        let (_, retry) = machine.creationAttemptFailed(
            creation: first.creations[0].id, error: Refused(), kind: .authentication, now: .zero)
        #expect(!retry)
        #expect(isHeldOff(&machine, at: .milliseconds(500)))
        #expect(machine.expectWait(3, at: .seconds(1)).creations.count == 1)
    }

    @Test("a swap's new target is not held off by the old target's failures")
    func swapEndsHold() {
        var machine = Machine(configuration: Self.configuration())
        failFirstAttempt(&machine)
        let preparing = machine.requestSwap(id: 100, kind: .swap, now: .milliseconds(100)).creations
        _ = machine.created(preparing[0].id, now: .milliseconds(200))
        #expect(machine.current == 2)
        _ = machine.expectLease(at: .milliseconds(300))
        #expect(machine.expectWait(2, at: .milliseconds(300)).creations.count == 1)
    }

    @Test("attempts that fail together move the hold one step, not one step each")
    func roundMovesHoldOnce() {
        var machine = Machine(configuration: Self.configuration())
        _ = machine.fill(1)
        let lease = machine.expectLease()
        let creations = (machine.expectWait(1) + machine.expectWait(2)).creations
        #expect(creations.count == 2, "with a connection open, attempts run side by side")
        _ = machine.release(lease, .discard(.broken), now: .zero)
        for creation in creations {
            _ = machine.creationAttemptFailed(creation: creation.id, error: Refused(), kind: .other, now: .zero)
        }
        #expect(isHeldOff(&machine, at: .milliseconds(999)))
        #expect(!isHeldOff(&machine, at: .seconds(1)), "the first delay, as after one failed attempt")
    }

    @Test("an empty pool makes one connection first; the waiters and the minimum behind it follow")
    func firstConnectionFirst() {
        var machine = Machine(configuration: Self.configuration(minimum: 3))
        let minimum = machine.startMinimumCreations(now: .zero)
        #expect(minimum.creations.count == 1)
        #expect(machine.expectWait(1).creations.isEmpty)
        #expect(machine.expectWait(2).creations.isEmpty)
        let made = machine.created(minimum.creations[0].id)
        #expect(made.handOffs.map(\.waiter) == [1])
        #expect(made.creations.count == 2, "up to the minimum of three, one of them for waiter 2")
    }

    @Test("a reconnect cuts a hold short once per run of failures; reconnecting after each failure does not")
    func reconnectLiftsHoldOnce() {
        var machine = Machine(configuration: Self.configuration())
        failFirstAttempt(&machine)
        _ = machine.requestSwap(id: 100, kind: .reconnect, now: .milliseconds(100))
        let attempt = machine.expectWait(2, at: .milliseconds(200)).creations
        #expect(attempt.count == 1, "one attempt at once")
        #expect(machine.expectWait(3, at: .milliseconds(200)).creations.isEmpty, "one at a time")
        _ = machine.creationAttemptFailed(creation: attempt[0].id, error: Refused(), kind: .other, now: .seconds(1))
        _ = machine.requestSwap(id: 101, kind: .reconnect, now: .milliseconds(1100))
        #expect(isHeldOff(&machine, at: .milliseconds(1200)), "the early attempt of this outage is spent")
        #expect(!isHeldOff(&machine, at: .seconds(3)), "the hold grew to two seconds")
    }

    @Test("a reconnect of a pool with a minimum, held and with its early attempt spent, makes no login")
    func reconnectWithMinimumHeld() {
        var machine = Machine(configuration: Self.configuration(minimum: 2))
        failFirstAttempt(&machine)
        let first = machine.requestSwap(id: 100, kind: .reconnect, now: .milliseconds(100)).creations
        #expect(first.count == 1)
        _ = machine.creationAttemptFailed(
            creation: first[0].id, error: Refused(), kind: .other, now: .milliseconds(200))
        #expect(machine.requestSwap(id: 101, kind: .reconnect, now: .milliseconds(300)).creations.isEmpty)
        #expect(machine.maintenanceTick(now: .seconds(3)).creations.count == 1, "the minimum, after the hold")
    }

    @Test("a swap prepares its first connection alone, then the rest of the minimum")
    func swapPreparesOneFirst() {
        var machine = Machine(configuration: Self.configuration(minimum: 3))
        _ = machine.fill(3)
        let first = machine.requestSwap(id: 100, kind: .swap, now: .zero).creations
        #expect(first.count == 1)
        let rest = machine.created(first[0].id).creations
        #expect(rest.count == 2)
        _ = machine.created(rest[0].id)
        #expect(machine.current == 1, "not before the minimum is made")
        _ = machine.created(rest[1].id)
        #expect(machine.current == 2)
    }

    @Test("a pool with an open connection never holds callers off")
    func openConnectionNoHold() {
        var machine = Machine(configuration: Self.configuration())
        let opened = machine.fill(1)
        let lease = machine.expectLease()
        let creation = machine.expectWait(1).creations[0].id
        let (failed, _) = machine.creationAttemptFailed(creation: creation, error: Refused(), kind: .other, now: .zero)
        #expect(failed.failures.isEmpty, "the waiter still waits for the leased connection")
        #expect(lease.connectionID == opened[0])
        #expect(!isHeldOff(&machine, at: .milliseconds(1)))
    }

    /// Waiter 1's attempt fails at 0 with nothing open: the hold starts, one second long.
    private func failFirstAttempt(_ machine: inout Machine) {
        let first = machine.expectWait(1)
        _ = machine.creationAttemptFailed(creation: first.creations[0].id, error: Refused(), kind: .other, now: .zero)
    }

    /// Whether a caller at `now` is failed at once without an attempt.
    private func isHeldOff(_ machine: inout Machine, at now: Duration) -> Bool {
        let id = machine.makeID()
        switch machine.acquire(waiter: id, now: now) {
        case .fail(let error):
            return error.code == .connectFailed
        case .wait:
            _ = machine.cancelWaiter(id)
            return false
        case .leased:
            return false
        }
    }
}
