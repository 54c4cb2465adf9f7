/// A binary min-heap of deadlines, each naming the waiter it ends.
///
/// Entries of waiters that were resumed some other way stay in the heap until they reach the
/// top or until stale entries outnumber live ones, when the heap is rebuilt from the live ones;
/// so memory stays within twice the number of live deadlines without an index per entry.
struct TimerHeap {
    struct Entry {
        let deadline: ContinuousClock.Instant
        let waiter: WaiterID
    }

    private var entries: [Entry] = []
    private var staleCount = 0

    var isEmpty: Bool { entries.isEmpty }

    var earliest: ContinuousClock.Instant? { entries.first?.deadline }

    mutating func insert(_ entry: Entry) {
        entries.append(entry)
        siftUp(from: entries.count - 1)
    }

    /// Records that one entry no longer names a live waiter; rebuilds when most entries are stale.
    mutating func markStale(isLive: (WaiterID) -> Bool) {
        staleCount += 1
        if staleCount > 64 && staleCount * 2 > entries.count {
            entries.removeAll { !isLive($0.waiter) }
            staleCount = 0
            for index in stride(from: entries.count / 2 - 1, through: 0, by: -1) {
                siftDown(from: index)
            }
        }
    }

    /// Removes and returns the entries whose deadline is at or before `now`.
    mutating func popExpired(now: ContinuousClock.Instant) -> [Entry] {
        var expired: [Entry] = []
        while let first = entries.first, first.deadline <= now {
            expired.append(first)
            removeFirst()
        }
        return expired
    }

    /// Accounts for entries popped after their waiter was already gone.
    mutating func forgetStale(_ count: Int) {
        staleCount = max(0, staleCount - count)
    }

    private mutating func removeFirst() {
        entries.swapAt(0, entries.count - 1)
        entries.removeLast()
        if !entries.isEmpty {
            siftDown(from: 0)
        }
    }

    private mutating func siftUp(from start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { return }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            var smallest = parent
            for child in [2 * parent + 1, 2 * parent + 2]
            where child < entries.count && entries[child].deadline < entries[smallest].deadline {
                smallest = child
            }
            guard smallest != parent else { return }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
