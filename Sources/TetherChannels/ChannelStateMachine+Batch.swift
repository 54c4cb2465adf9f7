extension ChannelStateMachine {
    /// What a batch send did with the elements it offered.
    @usableFromInline
    struct BatchSendAction {
        /// How many leading elements got in.
        @usableFromInline
        var accepted = 0
        /// Waiting receivers to resume, each with its element.
        @usableFromInline
        var deliveries: [(ReceiverWaker, Element)] = []
        /// Whether the channel was closed, so the rest were handed back.
        @usableFromInline
        var closed = false

        @inlinable
        init() {}
    }

    /// Takes as many leading `elements` as fit now: first to waiting receivers, then into
    /// the buffer. On a closed channel every remaining element is counted as handed back.
    @inlinable
    mutating func send(contentsOf elements: ArraySlice<Element>) -> BatchSendAction {
        var action = BatchSendAction()
        guard phase == .open else {
            counters.sent += elements.count
            counters.handedBackOnClose += elements.count
            action.closed = true
            checkConservation()
            return action
        }
        var index = elements.startIndex
        while index < elements.endIndex, let receiver = receivers.popFirst() {
            action.deliveries.append((receiver, elements[index]))
            index += 1
        }
        counters.received += action.deliveries.count
        counters.enqueued += action.deliveries.count
        while index < elements.endIndex, buffer.count < capacity {
            append(elements[index])
            index += 1
        }
        action.accepted = index - elements.startIndex
        counters.sent += action.accepted
        checkConservation()
        return action
    }

    /// A batch send gave up on `count` elements it never offered, after its wait for room
    /// ended with `reason`; they count as sent and handed back, like the one that waited.
    @inlinable
    mutating func batchRemainderHandedBack(_ count: Int, _ reason: ChannelSendFailure) {
        counters.sent += count
        if reason == .closed {
            counters.handedBackOnClose += count
        } else {
            counters.handedBackOnCancel += count
        }
        checkConservation()
    }
}
