import Testing

@testable import TetherChannels

/// The machine with labels in place of continuations, so every test reads as events in,
/// actions out.
typealias Machine = ChannelStateMachine<Int, String, String>

extension Machine {
    /// Sends `element` to wait under the sender label `waker`; returns the registration's
    /// action and the sender's identifier.
    @discardableResult
    mutating func waitingSend(
        _ element: Int,
        _ waker: String,
        cancelled: Bool = false
    ) -> (action: SenderRegisteredAction, id: UInt64) {
        guard case .wait(let id) = send(element, waitIfFull: true) else {
            Issue.record("send of \(element) did not have to wait")
            return (.none, 0)
        }
        let sender = WaitingSender(element: element, waker: waker)
        return (senderRegistered(sender, id: id, isCancelled: cancelled), id)
    }

    /// Registers receiver `waker` as waiting; returns its identifier.
    mutating func waitingReceive(_ waker: String) -> UInt64 {
        guard case .wait(let id) = receive() else {
            Issue.record("receive did not have to wait")
            return 0
        }
        guard case .none = receiverRegistered(waker, id: id, isCancelled: false) else {
            Issue.record("receiver \(waker) was resumed at registration")
            return 0
        }
        return id
    }

    /// The element a single receive returns now and the sender it admitted, if any.
    mutating func receiveNow() -> (Int?, String?) {
        switch receive() {
        case .element(let element, let admitted): (element, admitted?.waker)
        case .end, .wait: (nil, nil)
        }
    }
}

@Suite("ChannelStateMachine")
struct ChannelStateMachineTests {
    @Test("sends buffer up to capacity, then a send must wait")
    func buffersThenWaits() {
        var machine = Machine(capacity: 2)
        guard case .enqueued = machine.send(1, waitIfFull: true), case .enqueued = machine.send(2, waitIfFull: true),
            case .wait = machine.send(3, waitIfFull: true)
        else {
            Issue.record("unexpected actions")
            return
        }
        #expect(machine.statistics.depth == 2)
        #expect(machine.statistics.highWaterMark == 2)
        #expect(machine.statistics.sent == 2, "a send that must wait is counted when it registers")
    }

    @Test("C2: trySend on a full channel hands the element back as full and counts it")
    func trySendFull() {
        var machine = Machine(capacity: 1)
        _ = machine.send(1, waitIfFull: false)
        guard case .full(let element) = machine.send(2, waitIfFull: false) else {
            Issue.record("a full channel accepted an element")
            return
        }
        #expect(element == 2)
        #expect(machine.statistics.rejectedFull == 1)
        #expect(machine.statistics.isConserved)
    }

    @Test("a receive frees a slot and admits the oldest waiting sender, in arrival order")
    func admitsInOrder() {
        var machine = Machine(capacity: 1)
        _ = machine.send(1, waitIfFull: true)
        machine.waitingSend(2, "s2")
        machine.waitingSend(3, "s3")
        #expect(machine.receiveNow() == (1, "s2"))
        #expect(machine.receiveNow() == (2, "s3"))
        #expect(machine.receiveNow() == (3, nil))
        #expect(machine.statistics.isConserved)
    }

    @Test("a send hands its element straight to the oldest waiting receiver")
    func deliversToWaitingReceiver() {
        var machine = Machine(capacity: 4)
        _ = machine.waitingReceive("r1")
        _ = machine.waitingReceive("r2")
        guard case .deliver(let receiver, let element) = machine.send(7, waitIfFull: true) else {
            Issue.record("the send did not go to the waiting receiver")
            return
        }
        #expect(receiver == "r1")
        #expect(element == 7)
        #expect(machine.statistics.depth == 0)
        #expect(machine.statistics.waitingReceivers == 1)
    }

    @Test("C1: a waiting send cancelled before admission gets its element back, counted")
    func cancelledSenderHandedBack() {
        var machine = Machine(capacity: 1)
        _ = machine.send(1, waitIfFull: true)
        let id = machine.waitingSend(2, "s2").id
        let sender = machine.senderCancelled(id: id)
        #expect(sender?.element == 2)
        #expect(machine.statistics.handedBackOnCancel == 1)
        #expect(machine.statistics.isConserved)
    }

    @Test("C1: a cancellation that comes after admission finds nothing: the hand-off wins")
    func handOffWins() {
        var machine = Machine(capacity: 1)
        _ = machine.send(1, waitIfFull: true)
        let id = machine.waitingSend(2, "s2").id
        #expect(machine.receiveNow() == (1, "s2"))
        #expect(machine.senderCancelled(id: id) == nil)
        #expect(machine.statistics.depth == 1)
    }

    @Test("a send registering with its task already cancelled is handed back at once")
    func registeredCancelled() {
        var machine = Machine(capacity: 0)
        guard
            case .resume(_, .handedBack(let reason, let element)) = machine.waitingSend(5, "s", cancelled: true).action
        else {
            Issue.record("a cancelled registration was queued")
            return
        }
        #expect(reason == .cancelled)
        #expect(element == 5)
        #expect(machine.statistics.waitingSenders == 0)
    }

    @Test("C5: a waiting receiver cancelled is removed; a later send stays buffered")
    func cancelledReceiver() {
        var machine = Machine(capacity: 2)
        let id = machine.waitingReceive("r1")
        #expect(machine.receiverCancelled(id: id) == "r1")
        guard case .enqueued = machine.send(9, waitIfFull: true) else {
            Issue.record("the element went to a cancelled receiver")
            return
        }
        #expect(machine.statistics.depth == 1)
    }

    @Test("C7: close resumes every waiting receiver with the end and leaves none behind")
    func closeEndsReceivers() {
        var machine = Machine(capacity: 2)
        _ = machine.waitingReceive("r1")
        _ = machine.waitingReceive("r2")
        _ = machine.waitingReceive("r3")
        let action = machine.close()
        #expect(action.receivers == ["r1", "r2", "r3"])
        #expect(machine.statistics.waitingReceivers == 0)
        guard case .end = machine.receive() else {
            Issue.record("a closed empty channel did not end")
            return
        }
    }

    @Test("close hands waiting senders back and lets consumers drain the buffer, then end")
    func closeDrains() {
        var machine = Machine(capacity: 1)
        _ = machine.send(1, waitIfFull: true)
        machine.waitingSend(2, "s2")
        let action = machine.close()
        #expect(action.senders.map(\.element) == [2])
        #expect(machine.receiveNow() == (1, nil))
        guard case .end = machine.receive(), case .closed(3) = machine.send(3, waitIfFull: true) else {
            Issue.record("a closed channel accepted or kept going")
            return
        }
        #expect(machine.statistics.handedBackOnClose == 2)
        #expect(machine.statistics.isConserved)
    }

    @Test("C6: stopReceiving returns the buffer and hands every waiting and later send back")
    func stopReceiving() {
        var machine = Machine(capacity: 2)
        _ = machine.send(1, waitIfFull: true)
        _ = machine.send(2, waitIfFull: true)
        machine.waitingSend(3, "s3")
        let action = machine.stopReceiving()
        #expect(action.undelivered == [1, 2])
        #expect(action.senders.map(\.element) == [3])
        guard case .closed(4) = machine.send(4, waitIfFull: true) else {
            Issue.record("a send after stopReceiving was not refused")
            return
        }
        #expect(machine.statistics.handedBackOnClose == 4)
        #expect(machine.statistics.isConserved)
    }

    @Test("capacity 0 is a rendezvous: a send waits until a receive takes its element directly")
    func rendezvous() {
        var machine = Machine(capacity: 0)
        guard case .none = machine.waitingSend(1, "s1").action else {
            Issue.record("a rendezvous send did not wait")
            return
        }
        #expect(machine.receiveNow() == (1, "s1"))
        #expect(machine.statistics.depth == 0)
        #expect(machine.statistics.highWaterMark == 0)
    }

    @Test("a batch receive takes up to its maximum and admits as many senders as slots freed")
    func batchReceive() {
        var machine = Machine(capacity: 3)
        for element in 1...3 {
            _ = machine.send(element, waitIfFull: true)
        }
        machine.waitingSend(4, "s4")
        machine.waitingSend(5, "s5")
        guard case .elements(let elements, let admitted) = machine.receive(upTo: 2) else {
            Issue.record("the batch receive found nothing")
            return
        }
        #expect(elements == [1, 2])
        #expect(admitted.map(\.waker) == ["s4", "s5"])
        #expect(machine.statistics.depth == 3)
    }

    @Test("a batch send takes what fits, waiting receivers first")
    func batchSend() {
        var machine = Machine(capacity: 2)
        _ = machine.waitingReceive("r1")
        let action = machine.send(contentsOf: [1, 2, 3, 4, 5][...])
        #expect(action.accepted == 3)
        #expect(action.deliveries.map(\.0) == ["r1"])
        #expect(action.deliveries.map(\.1) == [1])
        #expect(machine.statistics.depth == 2)
        #expect(machine.statistics.isConserved)
    }

    @Test("waiter storage shrinks back after a burst of ten thousand waiting senders")
    func shrinksAfterBurst() {
        var machine = Machine(capacity: 1)
        _ = machine.send(0, waitIfFull: true)
        for element in 1...10_000 {
            machine.waitingSend(element, "s")
        }
        #expect(machine.allocatedSlots.senders >= 10_000)
        var received: [Int] = []
        while case (let element?, _) = machine.receiveNow() {
            received.append(element)
        }
        #expect(received == Array(0...10_000))
        #expect(machine.allocatedSlots.senders <= 64)
        #expect(machine.allocatedSlots.buffer <= 16)
    }
}
