/// The outcome of ``BoundedChannel/trySend(_:)``: enqueued, or the element handed back.
public enum TrySendResult<Element: Sendable>: Sendable {
    /// The element is in the channel (buffered or already with a consumer).
    case enqueued
    /// The channel was full; here is the element back.
    case full(Element)
    /// The channel was closed, or its consumers stopped; here is the element back.
    case closed(Element)

    /// Whether the element was enqueued.
    public var isEnqueued: Bool {
        if case .enqueued = self {
            return true
        }
        return false
    }
}

/// Why a send did not enqueue its element; the element travels in the error.
public struct ChannelSendFailure: Hashable, Sendable, CustomStringConvertible {
    private enum Code: String, Hashable, Sendable {
        case closed
        case cancelled
        case timedOut = "timed_out"
    }

    private let code: Code

    private init(_ code: Code) {
        self.code = code
    }

    /// The channel was closed, or its consumers stopped, before the element got in.
    public static let closed = ChannelSendFailure(.closed)
    /// The sending task was cancelled while waiting for room.
    public static let cancelled = ChannelSendFailure(.cancelled)
    /// The send's deadline passed while waiting for room.
    public static let timedOut = ChannelSendFailure(.timedOut)

    /// A short fixed form, fit for a metric label.
    public var description: String { code.rawValue }
}

/// A send that did not enqueue its element, with the element handed back.
///
/// A send either enqueues its element and returns normally, or throws this error holding
/// the element: there is no third outcome, so nothing is ever dropped.
public struct ChannelSendError<Element: Sendable>: Error, CustomStringConvertible {
    /// Why the element did not get in.
    public let reason: ChannelSendFailure
    /// The element, back with its sender.
    public let element: Element

    @inlinable
    init(_ reason: ChannelSendFailure, _ element: Element) {
        self.reason = reason
        self.element = element
    }

    public var description: String { "send failed: \(reason); element handed back" }
}

/// A batch send that enqueued only part of its elements.
public struct ChannelBatchSendError<Element: Sendable>: Error, CustomStringConvertible {
    /// Why the rest did not get in.
    public let reason: ChannelSendFailure
    /// How many leading elements were enqueued.
    public let enqueuedCount: Int
    /// The elements not enqueued, in their original order, back with their sender.
    public let remaining: [Element]

    @inlinable
    init(_ reason: ChannelSendFailure, enqueuedCount: Int, remaining: [Element]) {
        self.reason = reason
        self.enqueuedCount = enqueuedCount
        self.remaining = remaining
    }

    public var description: String {
        "batch send failed: \(reason) after \(enqueuedCount) enqueued; \(remaining.count) handed back"
    }
}
