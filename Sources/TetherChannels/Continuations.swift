// Debug builds use checked continuations, which trap on a double resume and report a
// continuation that is never resumed; release builds use unsafe ones, which cost less on
// every wait. The state machine guarantees exactly one resume either way.
#if DEBUG
    typealias Continuation<T> = CheckedContinuation<T, Never>

    func withContinuation<T>(_ body: (Continuation<T>) -> Void) async -> T {
        await withCheckedContinuation(body)
    }
#else
    typealias Continuation<T> = UnsafeContinuation<T, Never>

    func withContinuation<T>(_ body: (Continuation<T>) -> Void) async -> T {
        await withUnsafeContinuation(body)
    }
#endif

/// How a waiting send ended.
enum SendOutcome<Element: Sendable>: Sendable {
    case enqueued
    case handedBack(ChannelSendFailure, Element)
}

/// How a waiting receive ended.
enum ReceiveOutcome<Element: Sendable>: Sendable {
    case element(Element)
    case end
    case cancelled
}

/// A send waiting for room, holding its element until it gets in or goes back.
struct WaitingSender<Element: Sendable, Waker> {
    var element: Element
    var waker: Waker
}

extension WaitingSender: Sendable where Waker: Sendable {}

typealias SenderContinuation<Element: Sendable> = Continuation<SendOutcome<Element>>
typealias ReceiverContinuation<Element: Sendable> = Continuation<ReceiveOutcome<Element>>

extension WaitingSender where Waker == SenderContinuation<Element> {
    func resume(_ outcome: SendOutcome<Element>) {
        waker.resume(returning: outcome)
    }

    func handBack(_ reason: ChannelSendFailure) {
        waker.resume(returning: .handedBack(reason, element))
    }
}
