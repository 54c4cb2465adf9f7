import Synchronization

/// The operations running right now, of a pool or of one generation: changed by every borrow
/// on every thread, read at any time without a lock.
///
/// One atomic would be one cache line for every borrowing thread to take in turn: with eight
/// workers on two cores, four such changes per borrow moved that line between the cores on
/// nearly every query. The count is split into stripes on lines of their own; an operation
/// adds and subtracts on the same stripe (its connection's), and a read sums them.
final class OperationCounter: Sendable {
    /// Stripes, a power of two.
    private static let stripes = 16
    /// Atomics per stripe: 128 bytes apart, so neighbours share no line (nor a prefetched pair).
    private static let spacing = 16

    private nonisolated(unsafe) let slots: UnsafeMutablePointer<Atomic<Int>>

    init() {
        let count = Self.stripes * Self.spacing
        slots = .allocate(capacity: count)
        for index in 0..<count {
            (slots + index).initialize(to: Atomic(0))
        }
    }

    deinit {
        slots.deinitialize(count: Self.stripes * Self.spacing)
        slots.deallocate()
    }

    /// Counts an operation starting, on `stripe` (any integer; the same for its end).
    func increment(stripe: Int) {
        slot(stripe).pointee.add(1, ordering: .relaxed)
    }

    /// Counts the end of an operation counted on `stripe`.
    func decrement(stripe: Int) {
        slot(stripe).pointee.subtract(1, ordering: .relaxed)
    }

    /// The operations running: a sum of the stripes, never below zero since each operation
    /// ends on the stripe it started on.
    var total: Int {
        (0..<Self.stripes).reduce(0) { $0 + (slots + $1 * Self.spacing).pointee.load(ordering: .relaxed) }
    }

    private func slot(_ stripe: Int) -> UnsafeMutablePointer<Atomic<Int>> {
        slots + (stripe & (Self.stripes - 1)) * Self.spacing
    }
}
