/// The pool's bookkeeping as a plain value: events and commands in, actions out, no I/O.
///
/// Time is a `Duration` since the pool started. The shell feeds it under a lock and performs
/// the returned actions after unlocking. Every connection carries the generation in which its
/// creation started; a generation is *preparing* (a swap is making its minimum connections),
/// *current* (it serves callers) or *draining* (retired, waiting for its leases to come back).
/// A generation leaves the machine once its last lease is back or its drain timed out.
///
/// Connections and targets are known by number only: the shell keeps the values. The machine is
/// therefore not generic, which keeps generic-metadata lookups off the hot path.
struct PoolStateMachine {
    /// A connection lent to a caller.
    struct Lease: Sendable {
        let connectionID: Int
        let generation: Int
        /// Check the connection with ``ConnectionFactory/validate(_:)`` before using it.
        let needsValidation: Bool
    }

    /// Side effects for the shell, performed after unlocking.
    enum Action {
        case handOff(waiter: Int, Lease, waited: Duration)
        case failWaiter(Int, ConnectionPoolError)
        /// Make a connection to `generation`'s target.
        case create(creation: Int, generation: Int)
        case close(id: Int, generation: Int, reason: CloseReason)
        /// Cancel the running operation through the factory, then close.
        case forceClose(id: Int, generation: Int)
        /// Check leased connection `Lease` for the pool itself (keep-alive), then release it.
        case ping(Lease)
        case armWaiterTimer(at: Duration)
        case armDrainTimer(generation: Int, at: Duration)
        case completeSwap(id: Int, SwapReport)
        case completeShutdown
    }

    enum Lifecycle {
        case running
        case shuttingDown
        case shutDown
    }

    enum Phase: Equatable {
        case preparing(swap: Int)
        case current
        case draining
    }

    struct Generation {
        let number: Int
        var phase: Phase
        /// Idle, prepared or leased connections.
        var open = 0
        var leased = 0
        var creating = 0
        var drained = 0
        var forced = 0
        var retiredBy: Int?
        var closeReason = CloseReason.retired
    }

    enum SlotState {
        case idle
        case prepared
        case leased
        /// Closed by a timed-out drain while its lease is still out.
        case forced
    }

    struct Slot {
        let id: Int
        let generation: Int
        let retireAt: Duration?
        /// The ``ThreadAffinity`` key of the thread the connection owns; 0 for none.
        var affinity: UInt = 0
        /// A key for the task the connection is lent to, given by the shell; 0 when unknown.
        /// Only a waiting task's own leases are looked up by it, to name nested acquisition.
        var holder: UInt = 0
        var state: SlotState
        var lastUsed: Duration
        var suspect = false
        var replacementRequested = false
        var closeOnRelease = false
    }

    enum Purpose: Equatable {
        case demand
        case prepare
        case replacement(of: Int)
    }

    struct Creation {
        let generation: Int
        var purpose: Purpose
    }

    struct SwapProgress {
        let generation: Int
        let kind: SwapKind
        /// Connections the new generation makes before it takes over.
        let wanted: Int
        let startedAt: Duration
        var promoted = false
        var retiring: Set<Int> = []
        var drained = 0
        var forced = 0
    }

    let configuration: PoolConfiguration
    var lifecycle = Lifecycle.running
    var generations: [Int: Generation]
    var current = 1
    /// The newest generation: the current one, or one preparing for a swap.
    var latest = 1
    /// The last generation number given out; never given twice, so a connection that an
    /// abandoned generation finishes late cannot join a newer one.
    var lastNumber = 1
    var slots: [Int: Slot] = [:]
    /// The current generation's idle connections, most recently used last.
    var idle: [Int] = []
    /// The open connection that owns each marked thread, by ``ThreadAffinity`` key.
    var slotByAffinity: [UInt: Int] = [:]
    var waiters = WaiterQueue()
    var creations: [Int: Creation] = [:]
    var swaps: [Int: SwapProgress] = [:]
    var lastFailure: (any Error)?
    /// Set when the last attempt was refused for its credentials: the minimum is not refilled in
    /// the background until a connection succeeds or a swap brings a new target.
    var credentialsRefused = false
    /// Paces callers' connection attempts while none succeeds (see ``AttemptHoldOff``).
    var holdOff: AttemptHoldOff
    var armedWaiterTimer: Duration?
    var leasedTotal = 0
    var counters = PoolCounters()
    private var lastID = 0

    init(configuration: PoolConfiguration) {
        self.configuration = configuration
        holdOff = AttemptHoldOff(policy: configuration.creationPolicy)
        generations = [1: Generation(number: 1, phase: .current)]
    }

    /// A fresh identifier for a connection or a creation.
    mutating func makeID() -> Int {
        lastID += 1
        return lastID
    }

    var gauges: PoolGauges {
        PoolGauges(
            idle: idle.count, leased: leasedTotal, creating: creations.count,
            waiting: waiters.count, generation: current)
    }

    /// No connection of the current generation is open and the last attempt to make one failed.
    var isUnavailable: Bool {
        lastFailure != nil && generations[current]?.open == 0
    }

    func impossible(_ event: String, _ detail: String = "") -> Never {
        preconditionFailure("pool state machine: \(event) in lifecycle \(lifecycle), generation \(current): \(detail)")
    }
}
