import CTetherSystem
import Foundation
import Synchronization
import TetherLocking

/// One thread that waits in `epoll_wait` for socket readiness and deadlines on behalf of every stream.
///
/// Operations never block a thread of the cooperative pool: a read that finds no bytes registers a
/// waiter and suspends. Readiness (from epoll), the waiter's deadline (from the timer heap, which
/// sets `epoll_wait`'s timeout) and cancellation (from any thread) race to end the wait; the lock
/// around ``LoopState`` lets exactly one of them win, and the winner's continuation is resumed after
/// unlocking. An `eventfd` wakes the loop when a new waiter brings an earlier deadline.
final class EventLoop: Sendable {
    /// The loop every stream uses; its thread starts with the first stream and lives with the process.
    static let shared = EventLoop()

    let epollDescriptor: Int32
    let wakeDescriptor: Int32
    let state = Locked(LoopState())

    static let wakeData: UInt64 = 0

    private init() {
        // The process must not die of SIGPIPE when a peer resets a TLS stream mid-write.
        signal(SIGPIPE, SIG_IGN)
        epollDescriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeDescriptor = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        precondition(epollDescriptor >= 0 && wakeDescriptor >= 0, "EventLoop: epoll or eventfd unavailable")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.wakeData
        precondition(epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, wakeDescriptor, &event) == 0)
        Thread { [self] in
            ctether_set_thread_name("tether-net-loop")
            run()
        }.start()
    }

    /// Adds a socket to epoll, edge-triggered for both directions.
    func register(_ descriptor: Int32) throws(NetworkError) -> SocketToken {
        let token = state.withLock { $0.socketRegistered() }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue
        event.data.u64 = token.raw
        if epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, descriptor, &event) != 0 {
            let number = errno
            resumeAll(state.withLock { $0.socketRemoved(token) })
            throw NetworkError.system(number, .connect, call: "epoll_ctl")
        }
        return token
    }

    /// Removes a socket from epoll and ends its waiters with ``Wake/closed``; call before `close`.
    func deregister(_ descriptor: Int32, _ token: SocketToken) {
        _ = epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, descriptor, nil)
        resumeAll(state.withLock { $0.socketRemoved(token) })
    }

    /// Waits until the socket is ready for `interest`, the deadline passes or the task is cancelled.
    func wait(for interest: Interest, on token: SocketToken, deadline: ContinuousClock.Instant) async -> Wake {
        let id = addWaiter(socket: token, interest: interest, deadline: deadline)
        return await suspend(id)
    }

    /// Waits until `start` (called with the waiter's id) leads to ``complete(_:)``, the deadline
    /// passes or the task is cancelled. For work done on another thread, such as name resolution.
    func wait(deadline: ContinuousClock.Instant, _ start: (WaiterID) -> Void) async -> Wake {
        let id = addWaiter(socket: nil, interest: nil, deadline: deadline)
        start(id)
        return await suspend(id)
    }

    /// Ends a wait begun with ``wait(deadline:_:)`` as ready; does nothing if it already ended.
    func complete(_ id: WaiterID) {
        state.withLock { $0.waiterEnded(id, with: .ready) }?.perform()
    }

    private func addWaiter(socket: SocketToken?, interest: Interest?, deadline: ContinuousClock.Instant) -> WaiterID {
        let now = ContinuousClock.now
        let (id, wakeLoop) = state.withLock {
            $0.waiterAdded(socket: socket, interest: interest, deadline: deadline, now: now)
        }
        if wakeLoop {
            var one: UInt64 = 1
            _ = Glibc.write(wakeDescriptor, &one, 8)
        }
        return id
    }

    private func suspend(_ id: WaiterID) async -> Wake {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                state.withLock { $0.continuationAttached(id, continuation) }?.perform()
            }
        } onCancel: {
            state.withLock { $0.waiterEnded(id, with: .cancelled) }?.perform()
        }
    }

    private func resumeAll(_ resumptions: [Resumption]) {
        for resumption in resumptions {
            resumption.perform()
        }
    }
}
