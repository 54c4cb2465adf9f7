// Debug builds use checked continuations, which trap on a double resume and report a
// continuation that is never resumed; release builds use unsafe ones, which cost less on
// every wait. The state machine guarantees exactly one resume either way.
#if DEBUG
    @usableFromInline
    typealias Continuation<T> = CheckedContinuation<T, Never>

    @inlinable
    func withContinuation<T>(_ body: (Continuation<T>) -> Void) async -> T {
        await withCheckedContinuation(body)
    }
#else
    @usableFromInline
    typealias Continuation<T> = UnsafeContinuation<T, Never>

    @inlinable
    func withContinuation<T>(_ body: (Continuation<T>) -> Void) async -> T {
        await withUnsafeContinuation(body)
    }
#endif

/// How a waiting send ended.
@usableFromInline
enum SendOutcome<Element: Sendable>: Sendable {
    case enqueued
    case handedBack(ChannelSendFailure, Element)
}

/// How a waiting receive ended.
@usableFromInline
enum ReceiveOutcome<Element: Sendable>: Sendable {
    case element(Element)
    case end
    case cancelled
}

/// A send waiting for room, holding its element until it gets in or goes back.
@usableFromInline
struct WaitingSender<Element: Sendable, Waker> {
    @usableFromInline
    var element: Element
    @usableFromInline
    var waker: Waker

    @inlinable
    init(element: Element, waker: Waker) {
        self.element = element
        self.waker = waker
    }
}

extension WaitingSender: Sendable where Waker: Sendable {}

@usableFromInline
typealias SenderContinuation<Element: Sendable> = Continuation<SendOutcome<Element>>
@usableFromInline
typealias ReceiverContinuation<Element: Sendable> = Continuation<ReceiveOutcome<Element>>

extension WaitingSender where Waker == SenderContinuation<Element> {
    @inlinable
    func resume(_ outcome: SendOutcome<Element>) {
        waker.resume(returning: outcome)
    }

    @inlinable
    func handBack(_ reason: ChannelSendFailure) {
        waker.resume(returning: .handedBack(reason, element))
    }
}
