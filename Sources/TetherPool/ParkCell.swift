import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a connection that owns a thread waits between two borrows by code on that thread,
/// without the pool's lock.
///
/// A worker loop on a connection's thread borrows that connection again and again. Taking it
/// from the state machine and giving it back costs a lock shared by every connection thread
/// and several lookups; with eight threads on two cores that was a third of the pool's CPU per
/// query. A cell lets the connection skip the machine between such borrows: the machine still
/// counts it leased, and the cell says who may use it.
///
/// States, each changed by one atomic operation:
/// - ``off``: the machine has the connection (idle, or lent the usual way).
/// - ``lent``: lent through the cell; the borrower may park it here when done. Only the pool,
///   under its lock, turns a cell from off to lent, and only when nobody waits.
/// - ``parked``: waiting here. Code on the connection's thread takes it back with one
///   compare-and-exchange. Whatever needs the machine's true picture (a caller about to wait,
///   the maintenance tick, a swap, a shutdown, a new connection) first turns every cell off
///   under the lock and gives parked connections back to the machine.
final class ParkCell: Sendable {
    static let off = 0
    static let lent = 1
    static let parked = 2

    /// The pool that made the cell.
    let pool: ObjectIdentifier
    /// The machine's number for the connection.
    let connectionID: Int
    let state = Atomic<Int>(ParkCell.off)
    /// The key of the task holding the connection while it is lent through the cell.
    let holder = Atomic<UInt>(0)

    // Written only by whoever holds the connection, before it parks it; read only by whoever
    // moves the cell from parked: the state's release and acquire order the two.
    private nonisolated(unsafe) var parkedLease: PoolLease?
    private nonisolated(unsafe) var parkedSince = Duration.zero

    init(pool: ObjectIdentifier, connectionID: Int) {
        self.pool = pool
        self.connectionID = connectionID
    }

    /// Parks `lease`, given back at `now`; `false` when the cell was turned off meanwhile
    /// (the lease then goes back through the machine).
    func park(_ lease: PoolLease, at now: Duration) -> Bool {
        parkedLease = lease
        parkedSince = now
        let (parked, _) = state.compareExchange(
            expected: Self.lent, desired: Self.parked, successOrdering: .releasing, failureOrdering: .relaxed)
        if !parked {
            parkedLease = nil
        }
        return parked
    }

    /// The parked lease and when it was parked, taken by a borrower that will use it.
    func take(holder key: UInt) -> (lease: PoolLease, since: Duration)? {
        let (taken, _) = state.compareExchange(
            expected: Self.parked, desired: Self.lent, successOrdering: .acquiring, failureOrdering: .relaxed)
        guard taken else {
            return nil
        }
        holder.store(key, ordering: .relaxed)
        return takeLease()
    }

    /// What a cell held when it was turned off.
    enum Previous {
        case off
        /// Lent to the task with key `holder`, which gives it back through the machine.
        case lent(holder: UInt)
        case parked(PoolLease, since: Duration)
    }

    /// Turns the cell off; a parked lease is handed to the caller, for the machine.
    func turnOff() -> Previous {
        guard state.load(ordering: .relaxed) != Self.off else {
            return .off
        }
        switch state.exchange(Self.off, ordering: .acquiring) {
        case Self.parked:
            let (lease, since) = takeLease()
            return .parked(lease, since: since)
        case Self.lent:
            return .lent(holder: holder.load(ordering: .relaxed))
        default:
            return .off
        }
    }

    private func takeLease() -> (lease: PoolLease, since: Duration) {
        guard let lease = parkedLease else {
            preconditionFailure("pool: parked connection \(connectionID) has no lease")
        }
        parkedLease = nil
        return (lease, parkedSince)
    }

    /// The cell of the connection that owns the calling thread, if a pool lent it there.
    static var current: ParkCell? {
        pthread_getspecific(slot.key).map { Unmanaged<ParkCell>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Makes `cell` the calling thread's; the thread keeps it until it exits or gets another.
    static func setCurrent(_ cell: ParkCell) {
        let previous = pthread_getspecific(slot.key)
        guard previous != UnsafeMutableRawPointer(Unmanaged.passUnretained(cell).toOpaque()) else {
            return
        }
        pthread_setspecific(slot.key, Unmanaged.passRetained(cell).toOpaque())
        if let previous {
            Unmanaged<ParkCell>.fromOpaque(previous).release()
        }
    }

    private static let slot = ThreadSlot { raw in
        if let raw {
            Unmanaged<ParkCell>.fromOpaque(raw).release()
        }
    }
}
