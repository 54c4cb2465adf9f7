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
/// Phases, each changed by one atomic operation:
/// - off: the machine has the connection (idle, or lent the usual way).
/// - lent: lent through the cell; the borrower may park it here when done. Only the pool,
///   under its lock, turns a cell from off to lent, and only when nobody waits.
/// - parked: waiting here. Code on the connection's thread takes it back with one
///   compare-and-exchange. Whatever needs the machine's true picture (a caller about to wait,
///   the maintenance tick, a swap, a shutdown, a new connection) first turns every cell off
///   under the lock and gives parked connections back to the machine.
final class ParkCell: Sendable {
    /// The phases, in the low two bits of ``word``; a lent cell keeps its holder's task key
    /// above them, so that the holder changes with the phase, in the same operation.
    enum Phase: UInt {
        case off = 0
        case lent = 1
        case parked = 2
    }

    /// The pool that made the cell.
    let pool: ObjectIdentifier
    /// The machine's number for the connection.
    let connectionID: Int
    private let word = Atomic<UInt>(Phase.off.rawValue)

    // Written only by whoever holds the connection, before it parks it; read only by whoever
    // moves the cell from parked: the word's release and acquire order the two.
    private nonisolated(unsafe) var parkedLease: PoolLease?

    init(pool: ObjectIdentifier, connectionID: Int) {
        self.pool = pool
        self.connectionID = connectionID
    }

    var phase: Phase { Self.phase(of: word.load(ordering: .relaxed)) }

    /// Lent, through the cell, to the task with key `holder`; only under the pool's lock,
    /// when the machine lends the connection to a caller on its own thread.
    func lend(to holder: UInt) {
        word.store(Self.lent(to: holder), ordering: .relaxed)
    }

    /// Off: the machine takes the connection back (a borrower returns it the usual way).
    func stop() {
        word.store(Phase.off.rawValue, ordering: .relaxed)
    }

    /// Parks `lease`, given back at `now`; `false` when the cell was turned off meanwhile
    /// (the lease then goes back through the machine, last used `now`).
    func park(_ lease: PoolLease, at now: Duration) -> Bool {
        let lentWord = word.load(ordering: .relaxed)
        guard Self.phase(of: lentWord) == .lent else {
            return false
        }
        lease.parkedSince = now
        parkedLease = lease
        let (parked, _) = word.compareExchange(
            expected: lentWord, desired: Phase.parked.rawValue, successOrdering: .releasing,
            failureOrdering: .relaxed)
        if !parked {
            parkedLease = nil
        }
        return parked
    }

    /// The parked lease (its ``PoolLease/parkedSince`` says when it was parked), taken by the
    /// task with key `holder`.
    func take(holder: UInt) -> PoolLease? {
        let (taken, _) = word.compareExchange(
            expected: Phase.parked.rawValue, desired: Self.lent(to: holder), successOrdering: .acquiring,
            failureOrdering: .relaxed)
        return taken ? takeLease() : nil
    }

    /// What a cell held when it was turned off.
    enum Previous {
        case off
        /// Lent to the task with key `holder`, which gives it back through the machine.
        case lent(holder: UInt)
        /// Parked; the lease's ``PoolLease/parkedSince`` says since when.
        case parked(PoolLease)
    }

    /// Turns the cell off; a parked lease is handed to the caller, for the machine.
    func turnOff() -> Previous {
        guard phase != .off else {
            return .off
        }
        let previous = word.exchange(Phase.off.rawValue, ordering: .acquiring)
        switch Self.phase(of: previous) {
        case .parked:
            return .parked(takeLease())
        case .lent:
            return .lent(holder: previous >> 2)
        case .off:
            return .off
        }
    }

    private func takeLease() -> PoolLease {
        guard let lease = parkedLease else {
            preconditionFailure("pool: parked connection \(connectionID) has no lease")
        }
        parkedLease = nil
        return lease
    }

    private static func lent(to holder: UInt) -> UInt {
        // A task key is an address, far below 2^62: shifted, it keeps every bit.
        holder << 2 | Phase.lent.rawValue
    }

    private static func phase(of word: UInt) -> Phase {
        Phase(rawValue: word & 3) ?? .off
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
