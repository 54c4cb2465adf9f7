extension ChannelStateMachine {
    /// Whom to resume after ``close()`` or ``stopReceiving()``.
    @usableFromInline
    struct CloseAction {
        /// Waiting senders, to be handed their elements back with ``ChannelSendFailure/closed``.
        @usableFromInline
        var senders: [WaitingSender<Element, SenderWaker>] = []
        /// Waiting receivers, to be resumed with the end of the stream.
        @usableFromInline
        var receivers: [ReceiverWaker] = []
        /// Buffered elements nobody will receive, for the consumer that stopped.
        @usableFromInline
        var undelivered: [Element] = []

        @inlinable
        init(
            senders: [WaitingSender<Element, SenderWaker>] = [],
            receivers: [ReceiverWaker] = [],
            undelivered: [Element] = []
        ) {
            self.senders = senders
            self.receivers = receivers
            self.undelivered = undelivered
        }
    }

    /// The producers' side closes: later and waiting sends fail with their element, the
    /// buffer stays for consumers to drain. Closing again does nothing.
    @inlinable
    mutating func close() -> CloseAction {
        guard phase == .open else {
            return CloseAction()
        }
        phase = .closed
        return releaseWaiters()
    }

    /// The consumers' side gives up: everything buffered goes back to the caller, waiting
    /// and later sends fail with their element, waiting receivers see the end.
    @inlinable
    mutating func stopReceiving() -> CloseAction {
        if phase == .open {
            phase = .receivingStopped
            var action = releaseWaiters()
            action.undelivered = takeBuffer()
            return action
        }
        phase = .receivingStopped
        return CloseAction(undelivered: takeBuffer())
    }

    @inlinable
    mutating func releaseWaiters() -> CloseAction {
        precondition(
            senders.isEmpty || receivers.isEmpty,
            "BoundedChannel: senders and receivers both waiting in phase \(phase) (close)"
        )
        let action = CloseAction(senders: senders.removeAll(), receivers: receivers.removeAll())
        counters.handedBackOnClose += action.senders.count
        checkConservation()
        return action
    }

    @inlinable
    mutating func takeBuffer() -> [Element] {
        let undelivered = buffer.removeAll()
        counters.handedBackOnClose += undelivered.count
        buffer.shrinkIfEmpty(above: 0)
        checkConservation()
        return undelivered
    }
}
