import Testing

@testable import TetherPool

@Suite("PoolStateMachine: creation, lifetime and idle connections")
struct PoolStateMachineCreationTests {
    struct Refused: Error {}

    @Test("P3: while nothing is open, a failed attempt fails every waiter with the real cause")
    func unavailableFailsFast() {
        var machine = Machine(configuration: .testing())
        let actions = machine.expectWait(1)
        _ = machine.expectWait(2)
        let (failed, retry) = machine.creationAttemptFailed(
            creation: actions.creations[0].id, error: Refused(), kind: .other, now: .seconds(1))
        #expect(failed.failures.map(\.waiter) == [1, 2])
        #expect(failed.failures.allSatisfy { $0.error.code == .connectFailed && $0.error.underlying is Refused })
        #expect(!retry, "no waiter is left and the minimum is zero")
    }

    @Test("P3: a caller arriving while unavailable waits no longer than the connect timeout")
    func unavailableShortensWait() {
        var machine = Machine(configuration: .testing())
        let first = machine.expectWait(1)
        _ = machine.creationAttemptFailed(creation: first.creations[0].id, error: Refused(), kind: .other, now: .zero)
        let second = machine.expectWait(2, at: .seconds(1))
        #expect(second.contains { if case .armWaiterTimer(.seconds(3)) = $0 { true } else { false } })
        let expired = machine.waiterTimerFired(armedFor: .seconds(3), now: .seconds(3)).failures
        #expect(expired.first?.error.code == .connectFailed)
    }

    @Test("creation stops retrying on an authentication failure")
    func authenticationStopsRetrying() {
        var machine = Machine(configuration: .testing(minimum: 1))
        let actions = machine.startMinimumCreations(now: .zero)
        let (_, retry) = machine.creationAttemptFailed(
            creation: actions.creations[0].id, error: Refused(), kind: .authentication, now: .zero)
        #expect(!retry)
        #expect(machine.gauges.creating == 0)
    }

    @Test("creation for the minimum keeps retrying on other failures while a connection is open")
    func minimumKeepsRetrying() {
        var machine = Machine(configuration: .testing(minimum: 2))
        let first = machine.startMinimumCreations(now: .zero)
        let second = machine.created(first.creations[0].id).creations
        let (_, retry) = machine.creationAttemptFailed(
            creation: second[0].id, error: Refused(), kind: .other, now: .zero)
        #expect(retry)
    }

    @Test("with nothing open, the minimum's next attempt waits for the hold and a maintenance tick")
    func minimumPacedByHold() {
        var machine = Machine(configuration: .testing(minimum: 1))
        let actions = machine.startMinimumCreations(now: .zero)
        let (_, retry) = machine.creationAttemptFailed(
            creation: actions.creations[0].id, error: Refused(), kind: .other, now: .zero)
        #expect(!retry, "no creation sleeps between retries while callers could wait behind it")
        #expect(machine.maintenanceTick(now: .milliseconds(100)).creations.isEmpty, "within the hold")
        #expect(machine.maintenanceTick(now: .seconds(1)).creations.count == 1)
    }

    @Test("P4: a failed creation frees its slot for the next caller")
    func failedCreationFreesSlot() {
        var machine = Machine(configuration: .testing(maximum: 1))
        let first = machine.expectWait(1)
        _ = machine.creationAttemptFailed(creation: first.creations[0].id, error: Refused(), kind: .other, now: .zero)
        let second = machine.expectWait(2, at: .seconds(1))
        #expect(second.creations.count == 1)
    }

    @Test("lifetimes carry between 0 and the configured share of jitter", arguments: [0.0, 0.5, 0.999])
    func lifetimeJitter(factor: Double) throws {
        var machine = Machine(configuration: .testing())
        let action = machine.startCreation(1, purpose: .demand)
        guard case .create(let id, _) = action else {
            Issue.record("expected a creation")
            return
        }
        _ = machine.created(id, now: .zero, lifetimeFactor: factor)
        let retireAt = try #require(machine.slots.values.first?.retireAt)
        #expect(retireAt <= .seconds(1000) && retireAt >= .seconds(900))
        #expect(retireAt == .seconds(1000) * (1 - factor * 0.1))
    }

    @Test("an aged connection is replaced before it is closed")
    func replacementBeforeRetirement() {
        var configuration = PoolConfiguration.testing()
        configuration.idleTimeout = nil
        var machine = Machine(configuration: configuration)
        _ = machine.fill(1)
        let tick = machine.maintenanceTick(now: .seconds(1000))
        #expect(tick.creations.count == 1)
        #expect(tick.closes.isEmpty)
        let arrived = machine.created(tick.creations[0].id, now: .seconds(1001), lifetimeFactor: 0)
        #expect(arrived.closes.map(\.reason) == [.lifetime])
        #expect(machine.idle.count == 1)
    }

    @Test("idle connections above the minimum close after the idle timeout")
    func idleTimeoutKeepsMinimum() {
        var machine = Machine(configuration: .testing(minimum: 1, maximum: 3))
        _ = machine.fill(3)
        let early = machine.maintenanceTick(now: .seconds(59))
        #expect(early.closes.isEmpty)
        let due = machine.maintenanceTick(now: .seconds(60))
        #expect(due.closes.map(\.reason) == [.idleTimeout, .idleTimeout])
        #expect(machine.idle.count == 1)
    }
}

extension PoolStateMachineCreationTests {
    @Test("after refused credentials the minimum is not refilled until a swap")
    func refusedCredentialsPauseMinimum() {
        var machine = Machine(configuration: .testing(minimum: 1))
        let actions = machine.startMinimumCreations(now: .zero)
        _ = machine.creationAttemptFailed(
            creation: actions.creations[0].id, error: Refused(), kind: .authentication, now: .zero)
        let tick = machine.maintenanceTick(now: .seconds(1))
        #expect(tick.creations.isEmpty)
        let swapped = machine.requestSwap(id: 100, kind: .swap, now: .seconds(2))
        #expect(swapped.creations.map(\.generation) == [2])
    }
}
