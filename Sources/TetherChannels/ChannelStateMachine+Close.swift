extension ChannelStateMachine {
    /// Whom to resume after ``close()`` or ``stopReceiving()``.
    struct CloseAction {
        /// Waiting senders, to be handed their elements back with ``ChannelSendFailure/closed``.
        var senders: [WaitingSender<Element, SenderWaker>] = []
        /// Waiting receivers, to be resumed with the end of the stream.
        var receivers: [ReceiverWaker] = []
        /// Buffered elements nobody will receive, for the consumer that stopped.
        var undelivered: [Element] = []
    }

    /// The producers' side closes: later and waiting sends fail with their element, the
    /// buffer stays for consumers to drain. Closing again does nothing.
    mutating func close() -> CloseAction {
        guard phase == .open else {
            return CloseAction()
        }
        phase = .closed
        return releaseWaiters()
    }

    /// The consumers' side gives up: everything buffered goes back to the caller, waiting
    /// and later sends fail with their element, waiting receivers see the end.
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

    private mutating func releaseWaiters() -> CloseAction {
        precondition(
            senders.isEmpty || receivers.isEmpty,
            "BoundedChannel: senders and receivers both waiting in phase \(phase) (close)"
        )
        let action = CloseAction(senders: senders.removeAll(), receivers: receivers.removeAll())
        counters.handedBackOnClose += action.senders.count
        checkConservation()
        return action
    }

    private mutating func takeBuffer() -> [Element] {
        let undelivered = buffer.removeAll()
        counters.handedBackOnClose += undelivered.count
        buffer.shrinkIfEmpty(above: 0)
        checkConservation()
        return undelivered
    }
}
