/// The channel's buffer, waiters and counters, with no locks and no continuations resumed.
///
/// Phases and the moves between them:
///
///     open --close--> closed             (consumers drain the buffer, then see the end)
///     open | closed --stopReceiving--> receivingStopped
///
/// Waiters exist only where they must: receivers wait only while the buffer is empty and no
/// sender waits; senders wait only while the buffer is full and no receiver waits; nobody
/// waits once the channel is closed. A state that breaks this traps, naming phase and event.
///
/// `SenderWaker` and `ReceiverWaker` are what wakes a waiter: continuations in
/// ``BoundedChannel``, plain values in tests that drive the machine directly.
///
/// The machine and the channel's paths into it are `@inlinable` so that a client's
/// `BoundedChannel<Element>` is specialized for its element type: unspecialized, the generic
/// code spent most of its time looking up type metadata, about 60 times slower.
@usableFromInline
struct ChannelStateMachine<Element: Sendable, SenderWaker, ReceiverWaker> {
    @usableFromInline
    enum Phase: Equatable {
        case open
        case closed
        case receivingStopped
    }

    @usableFromInline
    let capacity: Int
    @usableFromInline
    var phase = Phase.open
    @usableFromInline
    var buffer = RingBuffer<Element>()
    @usableFromInline
    var senders = WaiterQueue<WaitingSender<Element, SenderWaker>>()
    @usableFromInline
    var receivers = WaiterQueue<ReceiverWaker>()
    @usableFromInline
    var counters: ChannelStatistics
    @usableFromInline
    var nextID: UInt64 = 0

    @inlinable
    init(capacity: Int) {
        self.capacity = capacity
        self.counters = ChannelStatistics(capacity: capacity)
    }

    @inlinable
    var statistics: ChannelStatistics {
        var snapshot = counters
        snapshot.depth = buffer.count
        snapshot.waitingSenders = senders.count
        snapshot.waitingReceivers = receivers.count
        return snapshot
    }

    /// Slots held by the buffer and the two waiter queues, to check that a burst leaves no growth.
    @inlinable
    var allocatedSlots: (buffer: Int, senders: Int, receivers: Int) {
        (buffer.allocated, senders.allocated, receivers.allocated)
    }

    // MARK: Sending

    /// What a send does next.
    @usableFromInline
    enum SendAction {
        /// The element is buffered.
        case enqueued
        /// Resume this waiting receiver with the element.
        case deliver(ReceiverWaker, Element)
        /// Full: wait under this identifier (when the send may wait).
        case wait(id: UInt64)
        /// Full and not waiting: the element is handed back.
        case full(Element)
        case closed(Element)
    }

    /// A send offers `element`. An element that will wait, or that the caller will offer
    /// again (`countingFull` false), is not counted here but when it is finally placed.
    @inlinable
    mutating func send(_ element: Element, waitIfFull: Bool, countingFull: Bool = true) -> SendAction {
        let isFull = phase == .open && receivers.isEmpty && buffer.count >= capacity
        if isFull, waitIfFull {
            nextID += 1
            return .wait(id: nextID)
        }
        if isFull, !countingFull {
            return .full(element)
        }
        counters.sent += 1
        defer { checkConservation() }
        guard phase == .open else {
            counters.handedBackOnClose += 1
            return .closed(element)
        }
        if let receiver = receivers.popFirst() {
            precondition(buffer.isEmpty, "BoundedChannel: a receiver waited beside a buffered element (send)")
            counters.enqueued += 1
            counters.received += 1
            return .deliver(receiver, element)
        }
        guard buffer.count < capacity else {
            counters.rejectedFull += 1
            return .full(element)
        }
        append(element)
        return .enqueued
    }

    /// What to do with a send that has just registered to wait.
    @usableFromInline
    enum SenderRegisteredAction {
        case none
        case resume(WaitingSender<Element, SenderWaker>, SendOutcome<Element>)
        case deliver(WaitingSender<Element, SenderWaker>, ReceiverWaker)
    }

    /// A send that found the channel full registers to wait. The channel may have changed
    /// since: room may have appeared, or it may have closed, or the task been cancelled.
    @inlinable
    mutating func senderRegistered(
        _ sender: WaitingSender<Element, SenderWaker>,
        id: UInt64,
        isCancelled: Bool
    ) -> SenderRegisteredAction {
        counters.sent += 1
        defer { checkConservation() }
        if phase != .open {
            counters.handedBackOnClose += 1
            return .resume(sender, .handedBack(.closed, sender.element))
        }
        if let receiver = receivers.popFirst() {
            counters.enqueued += 1
            counters.received += 1
            return .deliver(sender, receiver)
        }
        if buffer.count < capacity {
            append(sender.element)
            return .resume(sender, .enqueued)
        }
        if isCancelled {
            counters.handedBackOnCancel += 1
            return .resume(sender, .handedBack(.cancelled, sender.element))
        }
        senders.append(sender, id: id)
        return .none
    }

    /// A waiting send's task was cancelled. Returns the sender to hand its element back to,
    /// or `nil` when its element already got in (the hand-off wins) or it has not
    /// registered yet (registration then sees the cancellation).
    @inlinable
    mutating func senderCancelled(id: UInt64) -> WaitingSender<Element, SenderWaker>? {
        guard let sender = senders.remove(id: id) else {
            return nil
        }
        counters.handedBackOnCancel += 1
        checkConservation()
        return sender
    }

    // MARK: Helpers

    @inlinable
    mutating func append(_ element: Element) {
        buffer.append(element)
        counters.enqueued += 1
        counters.highWaterMark = max(counters.highWaterMark, buffer.count)
    }

    /// Takes the oldest waiting sender's element into the buffer, which has room.
    @inlinable
    mutating func admitWaitingSender() -> WaitingSender<Element, SenderWaker>? {
        guard let sender = senders.popFirst() else {
            return nil
        }
        precondition(phase == .open, "BoundedChannel: a sender waited in phase \(phase)")
        append(sender.element)
        return sender
    }

    @inlinable
    func checkConservation() {
        assert(statistics.isConserved, "BoundedChannel lost count of an element: \(statistics)")
    }
}
