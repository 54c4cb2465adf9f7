import Synchronization

extension BoundedChannel {
    /// Sends `elements` in order: as many as fit at once, then waits for room for the rest.
    ///
    /// - Throws: ``ChannelBatchSendError`` with how many got in and the rest, in order, when
    ///   the channel closes or the task is cancelled before all got in.
    @inlinable
    public func send<S: Sequence>(contentsOf elements: S) async throws(ChannelBatchSendError<Element>)
    where S.Element == Element {
        let elements = Array(elements)
        var next = 0
        while next < elements.count {
            let action = withMachine { $0.send(contentsOf: elements[next...]) }
            for (receiver, element) in action.deliveries {
                receiver.resume(returning: .element(element))
            }
            if action.closed {
                throw ChannelBatchSendError(.closed, enqueuedCount: next, remaining: Array(elements[next...]))
            }
            next += action.accepted
            guard next < elements.count else {
                return
            }
            // Full: wait for room for one, then take as many as fit again.
            do {
                try await send(elements[next])
                next += 1
            } catch {
                let remaining = [error.element] + elements[(next + 1)...]
                withMachine { $0.batchRemainderHandedBack(remaining.count - 1, error.reason) }
                throw ChannelBatchSendError(error.reason, enqueuedCount: next, remaining: remaining)
            }
        }
    }
}
