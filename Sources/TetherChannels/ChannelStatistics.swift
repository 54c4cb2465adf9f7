/// A snapshot of a channel's depth and counters, for metrics and tests.
///
/// Every element offered to a send ends in exactly one place, so at any moment:
///
///     sent == received + handedBack + depth + waitingSenders
///
/// where `handedBack = rejectedFull + handedBackOnCancel + handedBackOnClose`. Debug builds
/// check this after every event.
public struct ChannelStatistics: Sendable, Hashable, CustomStringConvertible {
    /// The channel's capacity.
    public var capacity: Int
    /// Elements buffered now.
    public var depth = 0
    /// The most elements ever buffered at once.
    public var highWaterMark = 0
    /// Sends waiting for room now.
    public var waitingSenders = 0
    /// Receives waiting for an element now.
    public var waitingReceivers = 0
    /// Elements offered to any send, whatever became of them (waiting ones included).
    public var sent = 0
    /// Elements that got into the channel, buffered or handed straight to a consumer.
    public var enqueued = 0
    /// Elements delivered to consumers.
    public var received = 0
    /// Elements handed back by ``BoundedChannel/trySend(_:)`` because the channel was full.
    public var rejectedFull = 0
    /// Elements handed back because their send was cancelled or timed out.
    public var handedBackOnCancel = 0
    /// Elements handed back because the channel was closed or its consumers stopped,
    /// including those ``BoundedChannel/stopReceiving()`` returned from the buffer.
    public var handedBackOnClose = 0

    @inlinable
    init(capacity: Int) {
        self.capacity = capacity
    }

    /// All elements handed back to a sender or to the consumer that stopped.
    public var handedBack: Int { rejectedFull + handedBackOnCancel + handedBackOnClose }

    /// Whether every element is accounted for.
    public var isConserved: Bool {
        sent == received + handedBack + depth + waitingSenders
    }

    public var description: String {
        "depth=\(depth)/\(capacity) high_water=\(highWaterMark) sent=\(sent) enqueued=\(enqueued) "
            + "received=\(received) rejected_full=\(rejectedFull) handed_back_cancel=\(handedBackOnCancel) "
            + "handed_back_close=\(handedBackOnClose) waiting_senders=\(waitingSenders) "
            + "waiting_receivers=\(waitingReceivers)"
    }
}
