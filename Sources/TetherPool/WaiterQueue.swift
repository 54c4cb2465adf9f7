/// Callers waiting for a connection, first come first served.
///
/// A cancelled or expired waiter leaves a tombstone in the order that the next pop skips, so
/// removal from the middle is cheap; storage is released once the queue empties after a burst.
struct WaiterQueue {
    struct Waiter {
        let id: Int
        let deadline: Duration
        let enqueuedAt: Duration
        /// The waiting task's key (see ``PoolStateMachine/Slot/holder``); its lease gets it.
        let holder: UInt
        let currentTaskHoldsLease: Bool
    }

    private var order: [Int] = []
    private var head = 0
    private var waiting: [Int: Waiter] = [:]

    var count: Int { waiting.count }

    var isEmpty: Bool { waiting.isEmpty }

    /// The earliest deadline of anyone still waiting.
    var earliestDeadline: Duration? {
        waiting.values.lazy.map(\.deadline).min()
    }

    mutating func append(_ waiter: Waiter) {
        order.append(waiter.id)
        waiting[waiter.id] = waiter
    }

    mutating func popFirst() -> Waiter? {
        while head < order.count {
            let id = order[head]
            head += 1
            if let waiter = waiting.removeValue(forKey: id) {
                compact()
                return waiter
            }
        }
        compact()
        return nil
    }

    mutating func remove(_ id: Int) -> Waiter? {
        let waiter = waiting.removeValue(forKey: id)
        compact()
        return waiter
    }

    /// Removes the waiters whose deadline is at or before `now`, oldest first.
    mutating func removeExpired(at now: Duration) -> [Waiter] {
        let expired = order[head...].compactMap { id in waiting[id].flatMap { $0.deadline <= now ? $0 : nil } }
        for waiter in expired {
            waiting[waiter.id] = nil
        }
        compact()
        return expired
    }

    /// Removes everyone, oldest first.
    mutating func removeAll() -> [Waiter] {
        let all = order[head...].compactMap { waiting[$0] }
        waiting = [:]
        compact()
        return all
    }

    private mutating func compact() {
        if waiting.isEmpty {
            if order.count > 64 {
                order = []
            } else {
                order.removeAll(keepingCapacity: true)
            }
            head = 0
        } else if head > 64 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
