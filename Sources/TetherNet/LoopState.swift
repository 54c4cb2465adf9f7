/// Names one suspended operation in the event loop.
struct WaiterID: Hashable, Sendable {
    let raw: UInt64
}

/// Names one socket registered with the event loop; epoll events carry it instead of the
/// descriptor number, so an event for a closed socket can never reach a socket that reused its number.
struct SocketToken: Hashable, Sendable {
    let raw: UInt64
}

/// The readiness an operation waits for.
enum Interest: Sendable {
    case readable
    case writable
}

/// Why a wait in the event loop ended. Exactly one of these ends each wait.
enum Wake: Sendable, Equatable {
    /// The socket became ready, or the waited-for work completed.
    case ready
    /// The deadline passed first.
    case timedOut
    /// The calling task was cancelled first.
    case cancelled
    /// The socket was closed first.
    case closed
}

/// A continuation to resume, handed out of the lock so the shell resumes it after unlocking.
struct Resumption {
    let continuation: CheckedContinuation<Wake, Never>
    let wake: Wake

    func perform() { continuation.resume(returning: wake) }
}

/// The event loop's bookkeeping: who waits for what, and until when. No I/O, no locks.
///
/// A waiter moves `pending` (registered, no continuation yet) to `suspended` (continuation
/// attached) and is then removed when one of readiness, deadline, cancellation or close ends it;
/// or it is ended while still pending, keeping its outcome until its continuation is attached.
/// Whichever comes first wins; later events find no waiter and do nothing.
struct LoopState {
    private struct Waiter {
        var continuation: CheckedContinuation<Wake, Never>?
        var outcome: Wake?
        let socket: SocketToken?
        let interest: Interest?
        var hasTimer = false
    }

    /// Edge-triggered readiness seen while nobody waited, so a waiter that comes late does not miss it.
    /// More than one waiter per direction happens with TLS, where a read may need the socket to be
    /// writable while a write waits for the same.
    private struct Socket {
        var readable = false
        var writable = false
        var readWaiters: [WaiterID] = []
        var writeWaiters: [WaiterID] = []
    }

    private var nextID: UInt64 = 1
    private var waiters: [WaiterID: Waiter] = [:]
    private var sockets: [SocketToken: Socket] = [:]
    private var timers = TimerHeap()

    /// The time the loop must wake up next, if any waiter has a deadline.
    var earliestDeadline: ContinuousClock.Instant? { timers.earliest }

    var socketCount: Int { sockets.count }

    var waiterCount: Int { waiters.count }

    mutating func socketRegistered() -> SocketToken {
        let token = SocketToken(raw: takeID())
        sockets[token] = Socket()
        return token
    }

    mutating func socketRemoved(_ token: SocketToken) -> [Resumption] {
        guard let socket = sockets.removeValue(forKey: token) else { return [] }
        return (socket.readWaiters + socket.writeWaiters).compactMap { end($0, with: .closed) }
    }

    /// Registers a waiter. Returns whether the loop must wake to see an earlier deadline.
    mutating func waiterAdded(
        socket token: SocketToken?,
        interest: Interest?,
        deadline: ContinuousClock.Instant,
        now: ContinuousClock.Instant
    ) -> (WaiterID, wakeLoop: Bool) {
        let id = WaiterID(raw: takeID())
        var waiter = Waiter(continuation: nil, outcome: nil, socket: token, interest: interest)
        if deadline <= now {
            waiter.outcome = .timedOut
        } else if let token, let interest {
            waiter.outcome = attach(id, to: token, interest: interest)
        }
        guard waiter.outcome == nil else {
            waiters[id] = waiter
            return (id, false)
        }
        waiter.hasTimer = true
        waiters[id] = waiter
        let wakeLoop = timers.earliest.map { deadline < $0 } ?? true
        timers.insert(TimerHeap.Entry(deadline: deadline, waiter: id))
        return (id, wakeLoop)
    }

    /// The suspended operation handed over its continuation.
    mutating func continuationAttached(_ id: WaiterID, _ continuation: CheckedContinuation<Wake, Never>) -> Resumption?
    {
        guard var waiter = waiters[id], waiter.continuation == nil else {
            preconditionFailure("LoopState: continuation attached twice or to an unknown waiter \(id.raw)")
        }
        if let outcome = waiter.outcome {
            waiters[id] = nil
            return Resumption(continuation: continuation, wake: outcome)
        }
        waiter.continuation = continuation
        waiters[id] = waiter
        return nil
    }

    /// Ends a waiter from outside the loop: cancellation, or work done on another thread.
    mutating func waiterEnded(_ id: WaiterID, with wake: Wake) -> Resumption? {
        end(id, with: wake)
    }

    mutating func socketBecameReady(_ token: SocketToken, readable: Bool, writable: Bool) -> [Resumption] {
        guard var socket = sockets[token] else { return [] }
        var ready: [WaiterID] = []
        if readable {
            socket.readable = socket.readWaiters.isEmpty
            ready += socket.readWaiters
        }
        if writable {
            socket.writable = socket.writeWaiters.isEmpty
            ready += socket.writeWaiters
        }
        sockets[token] = socket
        return ready.compactMap { end($0, with: .ready) }
    }

    mutating func timersFired(now: ContinuousClock.Instant) -> [Resumption] {
        let expired = timers.popExpired(now: now)
        var resumptions: [Resumption] = []
        var stale = 0
        for entry in expired {
            if let waiter = waiters[entry.waiter], waiter.outcome == nil {
                if let resumption = end(entry.waiter, with: .timedOut, timerPopped: true) {
                    resumptions.append(resumption)
                }
            } else {
                stale += 1
            }
        }
        timers.forgetStale(stale)
        return resumptions
    }

    private mutating func takeID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }

    /// Claims the socket's remembered readiness, or records `id` as its waiter.
    private mutating func attach(_ id: WaiterID, to token: SocketToken, interest: Interest) -> Wake? {
        guard var socket = sockets[token] else { return .closed }
        defer { sockets[token] = socket }
        switch interest {
        case .readable:
            if socket.readable {
                socket.readable = false
                return .ready
            }
            socket.readWaiters.append(id)
        case .writable:
            if socket.writable {
                socket.writable = false
                return .ready
            }
            socket.writeWaiters.append(id)
        }
        return nil
    }

    private mutating func end(_ id: WaiterID, with wake: Wake, timerPopped: Bool = false) -> Resumption? {
        guard var waiter = waiters[id], waiter.outcome == nil else { return nil }
        detach(waiter, id)
        if waiter.hasTimer && !timerPopped {
            let current = waiters
            timers.markStale { current[$0].map { $0.outcome == nil } ?? false }
        }
        guard let continuation = waiter.continuation else {
            waiter.outcome = wake
            waiters[id] = waiter
            return nil
        }
        waiters[id] = nil
        return Resumption(continuation: continuation, wake: wake)
    }

    private mutating func detach(_ waiter: Waiter, _ id: WaiterID) {
        guard let token = waiter.socket, var socket = sockets[token] else { return }
        socket.readWaiters.removeAll { $0 == id }
        socket.writeWaiters.removeAll { $0 == id }
        sockets[token] = socket
    }
}
