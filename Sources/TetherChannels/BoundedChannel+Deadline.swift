import Synchronization

extension BoundedChannel {
    /// Sends `element`, waiting for room no later than `deadline` on `clock`.
    ///
    /// - Throws: ``ChannelSendError`` with the element, reason ``ChannelSendFailure/timedOut``
    ///   when the deadline passed first, ``ChannelSendFailure/closed`` or
    ///   ``ChannelSendFailure/cancelled`` as for ``send(_:)``. A send that returns normally
    ///   enqueued its element, even if the deadline passed at the same moment.
    @inlinable
    public func send<C: Clock>(
        _ element: Element,
        deadline: C.Instant,
        clock: C
    ) async throws(ChannelSendError<Element>) {
        switch trySend(element, countingFull: false) {
        case .enqueued:
            return
        case .closed(let element):
            throw ChannelSendError(.closed, element)
        case .full(let element):
            try await sendRacingDeadline(element, deadline: deadline, clock: clock).get()
        }
    }

    /// Sends `element`, waiting for room at most `timeout` on the continuous clock.
    @inlinable
    public func send(_ element: Element, timeout: Duration) async throws(ChannelSendError<Element>) {
        let clock = ContinuousClock()
        try await send(element, deadline: clock.now.advanced(by: timeout), clock: clock)
    }

    // Not yet: a waiting timed send costs two child tasks; a deadline kept by the channel would cost none.
    /// Runs the waiting send and a timer as two child tasks; the timer cancels the send, so
    /// the send's own cancellation path decides between "got in" and "handed back".
    @inlinable
    func sendRacingDeadline<C: Clock>(
        _ element: Element,
        deadline: C.Instant,
        clock: C
    ) async -> Result<Void, ChannelSendError<Element>> {
        await withTaskGroup(of: Result<Void, ChannelSendError<Element>>?.self) { group in
            group.addTask {
                do throws(ChannelSendError<Element>) {
                    try await self.send(element)
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await clock.sleep(until: deadline, tolerance: nil)
                return nil
            }
            var outcome: Result<Void, ChannelSendError<Element>>?
            while let finished = await group.next() {
                guard let result = finished else {
                    group.cancelAll()
                    continue
                }
                outcome = result
                group.cancelAll()
            }
            guard let outcome else {
                preconditionFailure("BoundedChannel: a send with a deadline ended without an outcome")
            }
            // The send saw cancellation; if the caller was not cancelled, the timer caused it.
            if case .failure(let error) = outcome, error.reason == .cancelled, !Task.isCancelled {
                return .failure(ChannelSendError(.timedOut, error.element))
            }
            return outcome
        }
    }
}
