/// A first-in first-out buffer on a circular array that grows by doubling as needed, up to a
/// fixed limit, and can give its storage back once emptied.
@usableFromInline
struct RingBuffer<Element> {
    @usableFromInline
    var storage: ContiguousArray<Element?> = []
    @usableFromInline
    var head = 0
    @usableFromInline
    var count = 0

    @inlinable
    var isEmpty: Bool { count == 0 }

    /// The number of slots allocated now.
    @inlinable
    var allocated: Int { storage.count }

    @inlinable
    mutating func append(_ element: Element) {
        if count == storage.count {
            grow()
        }
        storage[(head + count) % storage.count] = element
        count += 1
    }

    @inlinable
    mutating func popFirst() -> Element? {
        guard count > 0 else {
            return nil
        }
        let element = storage[head].take()
        head = (head + 1) % storage.count
        count -= 1
        return element
    }

    /// Removes and returns everything, oldest first.
    @inlinable
    mutating func removeAll() -> [Element] {
        var elements: [Element] = []
        elements.reserveCapacity(count)
        while let element = popFirst() {
            elements.append(element)
        }
        return elements
    }

    /// Frees the storage when empty and larger than `limit` slots, so a burst leaves
    /// nothing behind.
    @inlinable
    mutating func shrinkIfEmpty(above limit: Int) {
        if count == 0, storage.count > limit {
            storage = []
            head = 0
        }
    }

    @inlinable
    mutating func grow() {
        let newSize = max(16, storage.count * 2)
        var grown = ContiguousArray<Element?>(repeating: nil, count: newSize)
        for offset in 0..<count {
            grown[offset] = storage[(head + offset) % storage.count].take()
        }
        storage = grown
        head = 0
    }
}

/// Waiters in arrival order, with removal of any one of them by identifier (a cancelled
/// waiter). Storage is compacted as the front is consumed and released after a burst.
@usableFromInline
struct WaiterQueue<Waiter> {
    @usableFromInline
    var slots: [(id: UInt64, waiter: Waiter)?] = []
    @usableFromInline
    var head = 0
    @usableFromInline
    var count = 0

    @inlinable
    var isEmpty: Bool { count == 0 }

    /// The number of slots held now, removed ones included.
    @inlinable
    var allocated: Int { slots.capacity }

    @inlinable
    mutating func append(_ waiter: Waiter, id: UInt64) {
        slots.append((id, waiter))
        count += 1
    }

    @inlinable
    mutating func popFirst() -> Waiter? {
        while head < slots.count {
            let slot = slots[head]
            slots[head] = nil
            head += 1
            if let slot {
                count -= 1
                compact()
                return slot.waiter
            }
        }
        return nil
    }

    // Not yet: removal scans the queue, so cancelling one of n waiters costs O(n) under the lock.
    /// Removes the waiter with `id`; `nil` when it is not here (already resumed).
    @inlinable
    mutating func remove(id: UInt64) -> Waiter? {
        guard let index = slots[head...].firstIndex(where: { $0?.id == id }) else {
            return nil
        }
        let waiter = slots[index]!.waiter
        slots[index] = nil
        count -= 1
        compact()
        return waiter
    }

    @inlinable
    mutating func removeAll() -> [Waiter] {
        var waiters: [Waiter] = []
        while let waiter = popFirst() {
            waiters.append(waiter)
        }
        return waiters
    }

    @inlinable
    mutating func compact() {
        if count == 0 {
            // Dropping large storage rather than keeping its capacity is what shrinks the
            // queue after a burst; small storage is kept to spare an allocation per wait.
            if slots.capacity > 64 {
                slots = []
            } else {
                slots.removeAll(keepingCapacity: true)
            }
            head = 0
        } else if head > 32, head * 2 > slots.count {
            slots.removeFirst(head)
            head = 0
        }
    }
}

extension Optional {
    @inlinable
    mutating func take() -> Wrapped? {
        let value = self
        self = nil
        return value
    }
}
