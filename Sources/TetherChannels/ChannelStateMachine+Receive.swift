extension ChannelStateMachine {
    /// What a single receive does next.
    @usableFromInline
    enum ReceiveAction {
        /// Return the element; resume the sender, whose element took the freed slot.
        case element(Element, admitted: WaitingSender<Element, SenderWaker>?)
        /// Closed and drained.
        case end
        /// Empty: wait under this identifier.
        case wait(id: UInt64)
    }

    @inlinable
    mutating func receive() -> ReceiveAction {
        if let element = buffer.popFirst() {
            counters.received += 1
            let admitted = admitWaitingSender()
            shrinkBufferIfDrained()
            checkConservation()
            return .element(element, admitted: admitted)
        }
        // Only a rendezvous channel (capacity 0) has senders waiting beside an empty buffer.
        if let sender = senders.popFirst() {
            counters.enqueued += 1
            counters.received += 1
            checkConservation()
            return .element(sender.element, admitted: sender)
        }
        if phase != .open {
            return .end
        }
        nextID += 1
        return .wait(id: nextID)
    }

    /// What a batch receive does next.
    @usableFromInline
    enum BatchReceiveAction {
        /// Return the elements, oldest first; resume these senders, admitted to freed slots.
        case elements([Element], admitted: [WaitingSender<Element, SenderWaker>])
        case end
        case wait(id: UInt64)
    }

    @inlinable
    mutating func receive(upTo maximumCount: Int) -> BatchReceiveAction {
        var elements: [Element] = []
        var admitted: [WaitingSender<Element, SenderWaker>] = []
        elements.reserveCapacity(min(maximumCount, buffer.count + senders.count))
        while elements.count < maximumCount, let element = buffer.popFirst() {
            elements.append(element)
        }
        while buffer.count < capacity, let sender = admitWaitingSender() {
            admitted.append(sender)
        }
        // A rendezvous channel hands waiting senders' elements over directly.
        while buffer.isEmpty, elements.count < maximumCount, let sender = senders.popFirst() {
            counters.enqueued += 1
            elements.append(sender.element)
            admitted.append(sender)
        }
        if !elements.isEmpty {
            counters.received += elements.count
            shrinkBufferIfDrained()
            checkConservation()
            return .elements(elements, admitted: admitted)
        }
        if phase != .open {
            return .end
        }
        nextID += 1
        return .wait(id: nextID)
    }

    /// What to do with a receive that has just registered to wait.
    @usableFromInline
    enum ReceiverRegisteredAction {
        case none
        case resume(ReceiverWaker, ReceiveOutcome<Element>, admitted: WaitingSender<Element, SenderWaker>?)
    }

    /// A receive that found the channel empty registers to wait; the channel may have
    /// changed since.
    @inlinable
    mutating func receiverRegistered(
        _ receiver: ReceiverWaker,
        id: UInt64,
        isCancelled: Bool
    ) -> ReceiverRegisteredAction {
        switch receive() {
        case .element(let element, let admitted):
            return .resume(receiver, .element(element), admitted: admitted)
        case .end:
            return .resume(receiver, .end, admitted: nil)
        case .wait:
            if isCancelled {
                return .resume(receiver, .cancelled, admitted: nil)
            }
            precondition(senders.isEmpty, "BoundedChannel: a receiver registered beside a waiting sender")
            receivers.append(receiver, id: id)
            return .none
        }
    }

    /// A waiting receive's task was cancelled. Returns the receiver to resume with
    /// cancellation, or `nil` when an element was already handed to it (it keeps it) or it
    /// has not registered yet (registration then sees the cancellation).
    @inlinable
    mutating func receiverCancelled(id: UInt64) -> ReceiverWaker? {
        receivers.remove(id: id)
    }

    @inlinable
    mutating func shrinkBufferIfDrained() {
        buffer.shrinkIfEmpty(above: 1024)
    }
}
