import CTetherSystem
import Synchronization
import TetherLocking

/// A pool of connections made by a ``ConnectionFactory``, hot-swappable between targets.
///
/// Callers borrow a connection with ``withConnection(idempotent:_:)``. Every connection
/// carries the generation in which its creation started; ``swap(to:)`` and ``reconnect()`` start
/// a new generation, move new callers to it and drain the old one.
///
/// The pool's timers, connection attempts and closes run inside ``run()``, which must be running
/// for the pool to work:
///
/// ```swift
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { await pool.run() }
///     let rows = try await pool.withConnection { connection in try await connection.query("...") }
///     await pool.shutdown()
/// }
/// ```
public final class ConnectionPool<Factory: ConnectionFactory>: Sendable {
    typealias Machine = PoolStateMachine
    @usableFromInline typealias Lease = PoolLease
    typealias State = PoolState
    typealias Effect = PoolEffect
    typealias Job = PoolJob

    /// The factory that makes, checks and closes connections.
    public let factory: Factory

    /// The configuration the pool was made with.
    public let configuration: PoolConfiguration

    let delegate: (any ConnectionPoolDelegate)?
    /// Whether there is a delegate: testing it spares the borrow on a thread's own connection a
    /// copy of the existential when there is none.
    let hasDelegate: Bool
    let clock: PoolClock
    let state: Locked<State>
    let operations = OperationCounter()
    let jobs = JobQueue<Job>()
    let lateCloses = LateCloses()

    /// Makes a pool; no connection is made before ``run()`` starts or a caller asks.
    ///
    /// - Parameters:
    ///   - factory: Makes, checks and closes the connections.
    ///   - target: What the first generation connects to.
    ///   - configuration: Sizes, timeouts and drains.
    ///   - clock: The clock for every timeout. Defaults to a `ContinuousClock`.
    ///   - delegate: Receives events for logs and metrics.
    /// - Throws: ``ConnectionPoolError`` (``ConnectionPoolError/Code/invalidConfiguration``)
    ///   naming the configuration value out of range.
    public init<C: Clock>(
        factory: Factory, target: Factory.Target, configuration: PoolConfiguration = PoolConfiguration(),
        clock: C, delegate: (any ConnectionPoolDelegate)? = nil
    ) throws where C.Duration == Duration {
        try configuration.validate()
        self.factory = factory
        self.configuration = configuration
        self.delegate = delegate
        hasDelegate = delegate != nil
        self.clock = PoolClock(clock)
        self.state = Locked(State(machine: Machine(configuration: configuration), targets: [1: target]))
        state.withLock { $0.owner = ObjectIdentifier(self) }
    }

    deinit {
        // A pool dropped without shutdown: a parked connection goes with the pool, instead of
        // living on in the cell its own thread keeps.
        state.withLock { state in
            for cell in state.cells.values {
                _ = cell.turnOff()
            }
        }
    }

    /// Makes a pool timed by a `ContinuousClock`.
    public convenience init(
        factory: Factory, target: Factory.Target, configuration: PoolConfiguration = PoolConfiguration(),
        delegate: (any ConnectionPoolDelegate)? = nil
    ) throws {
        try self.init(
            factory: factory, target: target, configuration: configuration, clock: ContinuousClock(),
            delegate: delegate)
    }

    /// Operations running inside ``withConnection(idempotent:_:)`` right now, across all
    /// generations; read without a lock (a sum of atomic stripes, see ``OperationCounter``).
    public var activeOperations: Int {
        operations.total
    }

    /// Operations of `generation` running right now; zero for a generation that is gone.
    public func activeOperations(inGeneration generation: Int) -> Int {
        state.withLock { $0.generationOperations[generation] }?.total ?? 0
    }

    /// Idle, leased, creating and waiting counts, active operations and the current generation.
    public var gauges: PoolGauges {
        var gauges = state.withLock { state in
            var gauges = state.machine.gauges
            // Parked on their threads: leased for the machine, idle in truth.
            let parked = state.parkedCount
            gauges.idle += parked
            gauges.leased -= parked
            return gauges
        }
        gauges.activeOperations = activeOperations
        return gauges
    }

    /// Totals since the pool started, with the wait-time distribution.
    public var counters: PoolCounters {
        state.withLock { $0.machine.counters }
    }

    /// Moves the pool to `target`: makes the new generation's minimum connections (at least
    /// one), sends new callers and waiters to it, then drains the old generation within
    /// ``PoolConfiguration/swapDrainTimeout``. No caller fails because of a swap.
    ///
    /// While the new target fails for a reason that may pass, its attempts go on as
    /// ``PoolConfiguration/creationPolicy`` allows and the old generation serves. A target
    /// that refuses the credentials, or one the policy gives up on, changes nothing: the
    /// report is marked ``SwapReport/abandoned``.
    ///
    /// A swap requested while another is preparing replaces it: the newest target wins, and the
    /// earlier call returns a report marked ``SwapReport/superseded``.
    public func swap(to target: Factory.Target) async -> SwapReport {
        await requestSwap(to: target, kind: .swap)
    }

    /// Replaces every connection with a new generation to the target in service after the old
    /// connections were lost; drains within ``PoolConfiguration/reconnectDrainTimeout``. A swap
    /// still preparing is superseded: its target has not shown that it works.
    ///
    /// Cancelling the task that awaits a swap or reconnect abandons it while it prepares; one
    /// that took over already finishes its drain.
    public func reconnect() async -> SwapReport {
        await requestSwap(to: nil, kind: .reconnect)
    }

    /// Stops lending: waiters fail with ``ConnectionPoolError/Code/shutdown``, idle connections
    /// close, leased ones close when returned or when the reconnect drain timeout passes. Returns
    /// once every connection is closed and ``run()`` has returned.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let effects = state.withLock { state -> [Effect]? in
                if state.runFinished {
                    return nil
                }
                state.shutdownWaiters.append(continuation)
                return state.effects(for: state.settled(now: clock.elapsed()) { $0.shutdown(now: $1) })
            }
            guard let effects else {
                continuation.resume()
                return
            }
            perform(effects)
        }
    }

    private func requestSwap(to target: Factory.Target?, kind: SwapKind) async -> SwapReport {
        let id = state.withLock { $0.machine.makeID() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<SwapReport, Never>) in
                perform(
                    state.withLock { state in
                        state.swapWaiters[id] = continuation
                        return state.requestSwap(id: id, to: target, kind: kind, now: clock.elapsed())
                    })
                // Cancelled before the swap was asked for, the handler found nothing to abandon.
                if Task.isCancelled {
                    cancelSwap(id)
                }
            }
        } onCancel: {
            cancelSwap(id)
        }
    }

    /// The caller of swap `id` was cancelled: a swap still preparing is abandoned; one that took
    /// over already finishes its drain.
    private func cancelSwap(_ id: Int) {
        perform(state.withLock { $0.effects(for: $0.machine.cancelSwap(id: id, now: clock.elapsed())) })
    }
}

/// A clock of any type, read as the time since the pool started.
struct PoolClock: Clock {
    /// A point in time, as the time since the pool started.
    struct Instant: InstantProtocol {
        var offset: Duration

        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    /// For a `ContinuousClock`, its reading in nanoseconds when the pool started; `nil` for
    /// other clocks, which are read through `read`.
    private let continuousOrigin: Int64?
    private let read: @Sendable () -> Duration
    private let sleepUntil: @Sendable (_ offset: Duration) async throws -> Void
    let minimumResolution: Duration

    init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let origin = clock.now
        // Read on every borrow and return: for the usual clock, one system call with nothing
        // around it (through the generic `Clock` it was a sixth of the pool's own time per query).
        // Its origin is read just after `origin`: the two differ by well under a microsecond.
        continuousOrigin = clock is ContinuousClock ? ctether_boottime_nanoseconds() : nil
        read = { origin.duration(to: clock.now) }
        sleepUntil = { try await clock.sleep(until: origin.advanced(by: $0), tolerance: nil) }
        minimumResolution = clock.minimumResolution
    }

    var now: Instant { Instant(offset: elapsed()) }

    func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try await sleepUntil(deadline.offset)
    }

    /// The time since the pool started, as the state machine counts it.
    func elapsed() -> Duration {
        if let continuousOrigin {
            return .nanoseconds(ctether_boottime_nanoseconds() - continuousOrigin)
        }
        return read()
    }

    /// Sleeps until `offset` after the pool started.
    func sleep(_ offset: Duration) async throws {
        try await sleepUntil(offset)
    }
}
