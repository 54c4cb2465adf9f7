import Foundation
import Testing

@testable import TetherPool

@Suite("PoolStateMachine: thread affinity")
struct PoolStateMachineAffinityTests {
    /// Opens one idle connection per key, in order, and returns their identifiers.
    private func fill(_ machine: inout Machine, affinities: [UInt]) -> [Int] {
        affinities.map { affinity in
            guard case .create(let creation, _) = machine.startCreation(machine.current, purpose: .demand) else {
                preconditionFailure("expected a creation")
            }
            let id = machine.makeID()
            _ = machine.connectionCreated(
                creation: creation, connection: id, affinity: affinity, now: .zero, lifetimeFactor: 0)
            return id
        }
    }

    @Test("a caller on a connection's thread gets that connection, not the one used last")
    func callerGetsItsThreadsConnection() {
        var machine = Machine(configuration: .testing(maximum: 3))
        let ids = fill(&machine, affinities: [7, 8, 9])
        let lease = machine.tryAcquireIdle(affinity: 7, now: .seconds(1))
        #expect(lease?.connectionID == ids[0])
        let other = machine.tryAcquireIdle(affinity: 0, now: .seconds(1))
        #expect(other?.connectionID == ids[2])
    }

    @Test("a caller whose thread's connection is lent out gets another idle one")
    func busyThreadConnectionFallsBack() {
        var machine = Machine(configuration: .testing(maximum: 2))
        let ids = fill(&machine, affinities: [7, 8])
        let first = machine.tryAcquireIdle(affinity: 7, now: .zero)
        let second = machine.tryAcquireIdle(affinity: 7, now: .zero)
        #expect([first?.connectionID, second?.connectionID] == [ids[0], ids[1]])
        let none = machine.tryAcquireIdle(affinity: 7, now: .zero)
        #expect(none == nil)
    }

    @Test("a closed connection's thread no longer picks a connection")
    func closedConnectionForgetsItsThread() {
        var machine = Machine(configuration: .testing(maximum: 2))
        let ids = fill(&machine, affinities: [7, 8])
        _ = machine.closeSlot(ids[0], reason: .idleTimeout)
        #expect(machine.slotByAffinity[7] == nil)
        let lease = machine.tryAcquireIdle(affinity: 7, now: .zero)
        #expect(lease?.connectionID == ids[1])
    }

    @Test("a straggler closed by a forced drain and given back late leaves its thread to the connection made since")
    func lateForcedReleaseKeepsTheNewerConnection() {
        var machine = Machine(configuration: .testing(maximum: 3))
        let old = fill(&machine, affinities: [7])[0]
        guard let hanging = machine.tryAcquireIdle(affinity: 7, now: .zero) else {
            Issue.record("the connection was not lent")
            return
        }
        let swap = machine.requestSwap(id: 100, kind: .swap, now: .zero)
        _ = machine.created(swap.creations[0].id, now: .zero)
        let fired = machine.drainTimerFired(generation: 1, now: .seconds(5))
        #expect(fired.forcedCloses == [old])
        // Closed, the straggler's thread is free again: a connection of the new generation takes it.
        let newer = fill(&machine, affinities: [7, 8])
        #expect(machine.slotByAffinity[7] == newer[0])
        _ = machine.release(hanging, .reusable, now: .seconds(6))
        #expect(machine.slotByAffinity[7] == newer[0])
        #expect(machine.tryAcquireIdle(affinity: 7, now: .seconds(6))?.connectionID == newer[0])
    }

    @Test("waiters still come first: affinity never lets a caller overtake the queue")
    func affinityDoesNotOvertakeWaiters() {
        var machine = Machine(configuration: .testing(maximum: 1))
        _ = fill(&machine, affinities: [7])
        let lease = machine.expectLease()
        _ = machine.expectWait(20)
        let overtaking = machine.tryAcquireIdle(affinity: 7, now: .zero)
        #expect(overtaking == nil)
        let handOffs = machine.release(lease, .reusable, now: .seconds(1)).handOffs
        #expect(handOffs.map(\.waiter) == [20])
    }

    @Test("ThreadAffinity marks only the thread that asked, each with its own mark")
    func marksAreThreadLocal() async {
        let marks = await withCheckedContinuation { (continuation: CheckedContinuation<[ThreadAffinity?], Never>) in
            let thread = Thread {
                let before = ThreadAffinity.current
                let mark = ThreadAffinity.markCurrentThread()
                let after = ThreadAffinity.current
                continuation.resume(returning: [before, mark, after])
            }
            thread.start()
        }
        #expect(marks[0] == nil)
        #expect(marks[1] != nil && marks[1] == marks[2])
        #expect(ThreadAffinity.current != marks[1])
    }
}
