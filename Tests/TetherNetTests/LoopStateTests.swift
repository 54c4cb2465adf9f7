import Testing

@testable import TetherNet

extension TetherNetSuites {
    @Suite("LoopState: exactly one of readiness, deadline, cancellation and close ends a wait")
    struct LoopStateTests {
        private let now = ContinuousClock.now
        private var later: ContinuousClock.Instant { now + .seconds(10) }

        /// Attaches a continuation, feeds `events` while it is suspended, and returns how it ended
        /// along with how many further resumptions the events produced (must be none).
        private func wait(
            _ state: inout LoopState,
            _ id: WaiterID,
            then events: (inout LoopState) -> [Resumption]
        ) async -> (Wake, extra: Int) {
            var extra = 0
            let wake = await withCheckedContinuation { continuation in
                state.continuationAttached(id, continuation)?.perform()
                let resumptions = events(&state)
                resumptions.first?.perform()
                extra = resumptions.count - 1
            }
            return (wake, max(extra, 0))
        }

        @Test("readiness seen before the waiter arrives is not lost")
        func readinessRemembered() async {
            var state = LoopState()
            let socket = state.socketRegistered()
            #expect(state.socketBecameReady(socket, readable: true, writable: false).isEmpty)
            let (id, wakeLoop) = state.waiterAdded(socket: socket, interest: .readable, deadline: later, now: now)
            #expect(!wakeLoop)
            let (wake, _) = await wait(&state, id) { _ in [] }
            #expect(wake == .ready)
            #expect(state.waiterCount == 0)
        }

        @Test("readiness wins, and the deadline and cancellation after it do nothing")
        func readinessThenOthers() async {
            var state = LoopState()
            let socket = state.socketRegistered()
            let (id, wakeLoop) = state.waiterAdded(socket: socket, interest: .writable, deadline: later, now: now)
            #expect(wakeLoop)
            let (wake, extra) = await wait(&state, id) { state in
                state.socketBecameReady(socket, readable: false, writable: true)
                    + state.timersFired(now: later + .seconds(1))
                    + [state.waiterEnded(id, with: .cancelled)].compactMap { $0 }
            }
            #expect(wake == .ready)
            #expect(extra == 0)
            #expect(state.earliestDeadline == nil)
        }

        @Test("the deadline wins over later readiness")
        func deadlineWins() async {
            var state = LoopState()
            let socket = state.socketRegistered()
            let (id, _) = state.waiterAdded(socket: socket, interest: .readable, deadline: later, now: now)
            let (wake, extra) = await wait(&state, id) { state in
                state.timersFired(now: later) + state.socketBecameReady(socket, readable: true, writable: true)
            }
            #expect(wake == .timedOut)
            #expect(extra == 0)
        }

        @Test("cancellation before the continuation is attached ends the wait as soon as it is")
        func cancelledBeforeSuspending() async {
            var state = LoopState()
            let socket = state.socketRegistered()
            let (id, _) = state.waiterAdded(socket: socket, interest: .readable, deadline: later, now: now)
            #expect(state.waiterEnded(id, with: .cancelled) == nil)
            let (wake, _) = await wait(&state, id) { state in
                state.socketBecameReady(socket, readable: true, writable: false)
            }
            #expect(wake == .cancelled)
            #expect(state.waiterCount == 0)
        }

        @Test("removing the socket ends its waiters as closed")
        func removalEndsWaiters() async {
            var state = LoopState()
            let socket = state.socketRegistered()
            let (id, _) = state.waiterAdded(socket: socket, interest: .readable, deadline: later, now: now)
            let (wake, _) = await wait(&state, id) { state in state.socketRemoved(socket) }
            #expect(wake == .closed)
            #expect(state.socketCount == 0)
        }

        @Test("a deadline already passed ends the wait without a timer")
        func passedDeadline() async {
            var state = LoopState()
            let socket = state.socketRegistered()
            let (id, wakeLoop) = state.waiterAdded(socket: socket, interest: .readable, deadline: now, now: now)
            #expect(!wakeLoop)
            #expect(state.earliestDeadline == nil)
            let (wake, _) = await wait(&state, id) { _ in [] }
            #expect(wake == .timedOut)
        }

        @Test("only an earlier deadline wakes the loop")
        func wakeOnlyForEarlierDeadline() {
            var state = LoopState()
            #expect(state.waiterAdded(socket: nil, interest: nil, deadline: later, now: now).wakeLoop)
            #expect(!state.waiterAdded(socket: nil, interest: nil, deadline: later + .seconds(1), now: now).wakeLoop)
            #expect(state.waiterAdded(socket: nil, interest: nil, deadline: later - .seconds(1), now: now).wakeLoop)
            #expect(state.earliestDeadline == later - .seconds(1))
        }
    }

    @Suite("TimerHeap")
    struct TimerHeapTests {
        @Test("entries come out in deadline order")
        func order() {
            let start = ContinuousClock.now
            var heap = TimerHeap()
            let offsets = [5, 1, 9, 3, 7, 2, 8, 0, 6, 4]
            for (index, offset) in offsets.enumerated() {
                heap.insert(.init(deadline: start + .seconds(offset), waiter: WaiterID(raw: UInt64(index))))
            }
            let popped = heap.popExpired(now: start + .seconds(4))
            #expect(popped.map(\.deadline) == (0...4).map { start + .seconds($0) })
            #expect(heap.earliest == start + .seconds(5))
        }

        @Test("stale entries are dropped once they outnumber live ones")
        func staleRebuild() {
            let start = ContinuousClock.now
            var heap = TimerHeap()
            for index in 0..<200 {
                heap.insert(.init(deadline: start + .seconds(index), waiter: WaiterID(raw: UInt64(index))))
            }
            // Waiters 0..<150 ended some other way; 150..<200 still wait.
            for _ in 0..<150 {
                heap.markStale { $0.raw >= 150 }
            }
            #expect(heap.earliest == start + .seconds(150))
            #expect(heap.popExpired(now: start + .seconds(1000)).count == 50)
        }
    }
}

extension TetherNetSuites.LoopStateTests {
    @Test("readiness ends every waiter of that direction, and the other direction keeps waiting")
    func severalWaitersPerDirection() async {
        var state = LoopState()
        let socket = state.socketRegistered()
        let deadline = ContinuousClock.now + .seconds(10)
        let (first, _) = state.waiterAdded(socket: socket, interest: .writable, deadline: deadline, now: .now)
        let (second, _) = state.waiterAdded(socket: socket, interest: .writable, deadline: deadline, now: .now)
        let (reader, _) = state.waiterAdded(socket: socket, interest: .readable, deadline: deadline, now: .now)
        #expect(state.socketBecameReady(socket, readable: false, writable: true).isEmpty)
        let firstWake = await withCheckedContinuation { state.continuationAttached(first, $0)?.perform() }
        let secondWake = await withCheckedContinuation { state.continuationAttached(second, $0)?.perform() }
        var readerWasWaiting = false
        let readerWake = await withCheckedContinuation { continuation in
            readerWasWaiting = state.continuationAttached(reader, continuation) == nil
            state.socketRemoved(socket).forEach { $0.perform() }
        }
        #expect(firstWake == .ready && secondWake == .ready)
        #expect(readerWasWaiting)
        #expect(readerWake == .closed)
        #expect(state.waiterCount == 0)
    }
}
