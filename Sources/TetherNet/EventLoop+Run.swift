import CTetherSystem
import Glibc

extension EventLoop {
    /// The loop thread's body: wait, collect what ended under the lock, resume after unlocking.
    func run() -> Never {
        let capacity = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        while true {
            let timeout = state.withLock { Self.milliseconds(until: $0.earliestDeadline) }
            let count = epoll_wait(epollDescriptor, events, Int32(capacity), timeout)
            if count < 0 && errno != EINTR {
                preconditionFailure("EventLoop: epoll_wait failed with errno \(errno)")
            }
            var resumptions: [Resumption] = []
            for index in 0..<max(0, Int(count)) {
                let event = events[index]
                if event.data.u64 == Self.wakeData {
                    var value: UInt64 = 0
                    _ = read(wakeDescriptor, &value, 8)
                    continue
                }
                let failed = event.events & (EPOLLERR.rawValue | EPOLLHUP.rawValue | EPOLLRDHUP.rawValue) != 0
                let readable = failed || event.events & EPOLLIN.rawValue != 0
                let writable = failed || event.events & EPOLLOUT.rawValue != 0
                let token = SocketToken(raw: event.data.u64)
                resumptions += state.withLock { $0.socketBecameReady(token, readable: readable, writable: writable) }
            }
            let now = ContinuousClock.now
            resumptions += state.withLock { $0.timersFired(now: now) }
            for resumption in resumptions {
                resumption.perform()
            }
        }
    }

    /// `epoll_wait`'s timeout for the next deadline: rounded up, so the loop never wakes early and spins.
    static func milliseconds(until deadline: ContinuousClock.Instant?) -> Int32 {
        guard let deadline else { return -1 }
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { return 0 }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }
}
