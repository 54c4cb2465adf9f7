import Synchronization
import TetherLocking

/// A first-in first-out channel with a hard capacity, for many producers and many consumers,
/// that never drops an element.
///
/// A send suspends while the channel is full (backpressure) and ends in exactly one of two
/// ways: the element got in, or the send throws ``ChannelSendError`` holding the element.
/// ``trySend(_:)`` never waits and hands the element back when full or closed. ``close()``
/// ends sending; consumers drain what is buffered and then see the end. ``stopReceiving()``
/// ends receiving and hands the buffered elements back to its caller.
///
/// Waiting senders and receivers are resumed one at a time, in arrival order. A capacity of
/// zero makes a rendezvous channel: each send waits for a receiver to take its element.
///
/// ```swift
/// let jobs = BoundedChannel<Job>(capacity: 64)
/// Task {
///     for try await job in jobs {
///         await run(job)
///     }
/// }
/// try await jobs.send(job)   // waits while 64 jobs are queued
/// jobs.close()
/// ```
public final class BoundedChannel<Element: Sendable>: Sendable {
    /// The most elements the channel buffers.
    public let capacity: Int

    @usableFromInline
    typealias Machine = ChannelStateMachine<Element, SenderContinuation<Element>, ReceiverContinuation<Element>>

    @usableFromInline
    let state: Mutex<Machine>

    /// Makes an open, empty channel.
    ///
    /// - Parameter capacity: the most elements buffered, 0 or more; 0 makes a rendezvous
    ///   channel. A negative capacity stops the program with a message naming it.
    @inlinable
    public init(capacity: Int) {
        precondition(capacity >= 0, "BoundedChannel capacity must be 0 or more, got \(capacity)")
        self.capacity = capacity
        self.state = Mutex(Machine(capacity: capacity))
    }

    /// Runs `body` on the state machine under the lock, telling ThreadSanitizer about the lock
    /// when it runs: on Linux, with Swift 6.3, the sanitizer cannot see the futex inside
    /// `Synchronization.Mutex` and reported every access the lock guards as a race. A pthread
    /// mutex would be visible without the annotations, but halved throughput under contention.
    @inlinable
    func withMachine<Result>(_ body: (inout sending Machine) -> sending Result) -> sending Result {
        state.withLock { machine in
            let token = UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque())
            ThreadSanitizer.acquire?(token)
            defer { ThreadSanitizer.release?(token) }
            return body(&machine)
        }
    }

    /// Depth, high-water mark and counters, as of now.
    @inlinable
    public var statistics: ChannelStatistics {
        withMachine { $0.statistics }
    }

    /// The elements buffered now.
    @inlinable
    public var depth: Int {
        withMachine { $0.buffer.count }
    }

    /// Sends `element`, waiting while the channel is full.
    ///
    /// - Throws: ``ChannelSendError`` with the element when the channel is closed (before or
    ///   while waiting) or the task is cancelled while waiting. A send that returns normally
    ///   enqueued its element, even if the task was cancelled at the same moment.
    @inlinable
    public func send(_ element: Element) async throws(ChannelSendError<Element>) {
        switch withMachine({ $0.send(element, waitIfFull: true, countingFull: false) }) {
        case .enqueued:
            return
        case .deliver(let receiver, let element):
            receiver.resume(returning: .element(element))
        case .closed(let element):
            throw ChannelSendError(.closed, element)
        case .full(let element):
            preconditionFailure("BoundedChannel: a waiting send was refused as full (\(element))")
        case .wait(let id):
            try await waitToSend(element, id: id)
        }
    }

    /// Enqueues `element` if there is room now; never waits.
    ///
    /// - Returns: ``TrySendResult/enqueued``, or the element back in ``TrySendResult/full(_:)``
    ///   or ``TrySendResult/closed(_:)``.
    @inlinable
    public func trySend(_ element: Element) -> TrySendResult<Element> {
        trySend(element, countingFull: true)
    }

    /// ``trySend(_:)``, where a full channel is counted as a rejection only when the caller
    /// will not go on to wait.
    @inlinable
    func trySend(_ element: Element, countingFull: Bool) -> TrySendResult<Element> {
        switch withMachine({ $0.send(element, waitIfFull: false, countingFull: countingFull) }) {
        case .enqueued:
            return .enqueued
        case .deliver(let receiver, let element):
            receiver.resume(returning: .element(element))
            return .enqueued
        case .full(let element):
            return .full(element)
        case .closed(let element):
            return .closed(element)
        case .wait:
            preconditionFailure("BoundedChannel: trySend was asked to wait")
        }
    }

    /// Ends sending. Waiting and later sends fail with ``ChannelSendFailure/closed`` and get
    /// their elements back; consumers receive what is buffered, then the end. Idempotent.
    @inlinable
    public func close() {
        resume(withMachine { $0.close() })
    }

    /// Ends receiving, for a consumer side that gives up.
    ///
    /// Waiting and later sends fail with ``ChannelSendFailure/closed`` and get their elements
    /// back at once; waiting receivers see the end.
    ///
    /// - Returns: the elements that were buffered, oldest first: nobody will receive them,
    ///   so the caller releases whatever they hold.
    @inlinable
    public func stopReceiving() -> [Element] {
        let action = withMachine { $0.stopReceiving() }
        resume(action)
        return action.undelivered
    }

    @inlinable
    func resume(_ action: Machine.CloseAction) {
        for sender in action.senders {
            sender.handBack(.closed)
        }
        for receiver in action.receivers {
            receiver.resume(returning: .end)
        }
    }

    @inlinable
    func waitToSend(_ element: Element, id: UInt64) async throws(ChannelSendError<Element>) {
        let outcome = await withTaskCancellationHandler {
            await withContinuation { (continuation: SenderContinuation<Element>) in
                let sender = WaitingSender(element: element, waker: continuation)
                // Task.isCancelled is read under the lock: a cancellation handler that ran
                // before registration found nothing to remove, so registration must see it.
                let action = withMachine { $0.senderRegistered(sender, id: id, isCancelled: Task.isCancelled) }
                switch action {
                case .none:
                    break
                case .resume(let sender, let outcome):
                    sender.resume(outcome)
                case .deliver(let sender, let receiver):
                    receiver.resume(returning: .element(sender.element))
                    sender.resume(.enqueued)
                }
            }
        } onCancel: {
            withMachine { $0.senderCancelled(id: id) }?.handBack(.cancelled)
        }
        if case .handedBack(let reason, let element) = outcome {
            throw ChannelSendError(reason, element)
        }
    }
}
