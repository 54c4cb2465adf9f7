import Synchronization

/// A connection lent to a caller, with the machine's record of the loan.
///
/// A class: a borrow passes its lease around several times, and as a struct of three references
/// every copy cost three reference-count operations (a twentieth of a parked borrow's CPU). A
/// connection parked in its cell keeps its lease, and the next borrow on that thread takes the
/// same object back.
///
/// `@unchecked Sendable`: its variables are written only by the one borrower that holds it, or
/// under the pool's lock, before the lease is handed on through a continuation or a cell's
/// atomic word, which publish what was written.
@usableFromInline
final class PoolLease: @unchecked Sendable {
    private(set) var ticket: PoolStateMachine.Lease
    /// The factory's connection in its ``ConnectionBox``; ``ConnectionPool/connection(of:)`` opens it.
    @usableFromInline let connection: any AnyObject & Sendable
    /// The active-operation counter of the lease's generation.
    let counter: OperationCounter
    /// The cell the connection may park in when given back (see ``ParkCell``).
    var cell: ParkCell?
    /// When the connection was last parked in its cell; nil for a connection never parked.
    var parkedSince: Duration?

    init(ticket: PoolStateMachine.Lease, connection: any AnyObject & Sendable, counter: OperationCounter) {
        self.ticket = ticket
        self.connection = connection
        self.counter = counter
    }

    /// The stripe of the operation counters this lease's operations count in.
    var stripe: Int { ticket.connectionID }
    var generation: Int { ticket.generation }
    @usableFromInline var needsValidation: Bool { ticket.needsValidation }

    /// Taken again from its cell: the connection is checked first when it waited too long.
    func retake(needsValidation: Bool) {
        ticket = PoolStateMachine.Lease(
            connectionID: ticket.connectionID, generation: ticket.generation, needsValidation: needsValidation)
    }
}

/// What a pool guards with its lock: the state machine and the continuations it resumes.
///
/// It is not generic: connections and targets are kept as `any Sendable` and cast back to the
/// factory's types by the generic shell, so taking and returning a lease needs no generic
/// metadata at run time, where callers in other modules run the shell unspecialized.
struct PoolState {
    typealias Machine = PoolStateMachine

    var machine: Machine
    /// The targets of the generations the machine knows, by generation.
    var targets: [Int: any Sendable]
    /// Every open connection, in its ``ConnectionBox``, by the identifier the machine knows it by.
    var connections: [Int: any AnyObject & Sendable] = [:]
    var waiters: [Int: CheckedContinuation<PoolLease, any Error>] = [:]
    var swapWaiters: [Int: CheckedContinuation<SwapReport, Never>] = [:]
    var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
    var runFinished = false
    /// Closes in progress, by generation: a swap reports only after its old connections closed.
    var closing: [Int: Int] = [:]
    var finishedSwaps: [(continuation: CheckedContinuation<SwapReport, Never>?, report: SwapReport)] = []
    var generationOperations: [Int: OperationCounter] = [:]
    /// The cells of the connections that own a thread, by the machine's number for them.
    var cells: [Int: ParkCell] = [:]
    /// The pool's identity, which its cells carry.
    var owner: ObjectIdentifier?
    /// The counter asked for last, kept aside from the dictionary: nearly every lease asks for
    /// the current generation's.
    var lastCounter: (generation: Int, counter: OperationCounter)?
    var random = SystemRandomNumberGenerator()

    /// Turns the machine's actions into effects, taking the continuations they resume.
    mutating func effects(for actions: [Machine.Action]) -> [PoolEffect] {
        actions.map { action in
            switch action {
            case .handOff(let waiter, let ticket, let waited):
                return .resume(waiters.removeValue(forKey: waiter), .success(lease(ticket)), waited: waited)
            case .failWaiter(let waiter, let error):
                return .resume(waiters.removeValue(forKey: waiter), .failure(error), waited: nil)
            case .create(let creation, let generation):
                guard let target = targets[generation] else {
                    preconditionFailure("pool: no target for generation \(generation)")
                }
                return .job(.create(creation: creation, generation: generation, target: target))
            case .close(let id, let generation, let reason):
                closing[generation, default: 0] += 1
                return .job(.close(removeConnection(id), generation: generation, reason: reason))
            case .forceClose(let id, let generation):
                closing[generation, default: 0] += 1
                return .job(.forceClose(removeConnection(id), generation: generation))
            case .ping(let ticket):
                return .job(.ping(lease(ticket)))
            case .armWaiterTimer(let deadline):
                return .job(.waiterTimer(at: deadline))
            case .armDrainTimer(let generation, let deadline):
                return .job(.drainTimer(generation: generation, at: deadline))
            case .completeSwap(let id, let report):
                finishedSwaps.append((swapWaiters.removeValue(forKey: id), report))
                return .reportSwaps(takeReportableSwaps())
            case .completeShutdown:
                return .completeShutdown
            }
        }
    }

    /// The machine's loan `ticket` with its connection.
    mutating func lease(_ ticket: Machine.Lease) -> PoolLease {
        guard let connection = connections[ticket.connectionID] else {
            preconditionFailure("pool: lent connection \(ticket.connectionID) is unknown")
        }
        let lease = PoolLease(ticket: ticket, connection: connection, counter: operationCounter(ticket.generation))
        SanitizerHooks.published(lease)
        return lease
    }

    /// The fast path: an idle connection when nobody waits. A caller on the connection's own
    /// thread gets it through the connection's cell, where it may park when given back.
    mutating func tryAcquireIdle(affinity: UInt, holder: UInt, now: Duration) -> PoolLease? {
        guard let ticket = machine.tryAcquireIdle(affinity: affinity, holder: holder, now: now) else {
            return nil
        }
        let lent = lease(ticket)
        if affinity != 0, machine.slotByAffinity[affinity] == ticket.connectionID {
            lent.cell = lendThroughCell(ticket.connectionID, holder: holder)
        }
        return lent
    }

    /// Files a connection that a creation produced and hands it on.
    mutating func connectionCreated(
        creation: Int, _ connection: any AnyObject & Sendable, affinity: ThreadAffinity?, now: Duration
    ) -> [PoolEffect] {
        let id = machine.makeID()
        connections[id] = connection
        if affinity != nil, let owner {
            cells[id] = ParkCell(pool: owner, connectionID: id)
        }
        let factor = Double.random(in: 0..<1, using: &random)
        let reclaimed = reclaimParked(now: now)
        return effects(
            for: reclaimed
                + machine.connectionCreated(
                    creation: creation, connection: id, affinity: affinity?.key ?? 0, now: now, lifetimeFactor: factor))
    }

    /// Starts a swap to `target`, or a reconnect to the current generation's target when it is
    /// nil: a swap still preparing has not shown that its target works, and is superseded.
    mutating func requestSwap(id: Int, to target: (any Sendable)?, kind: SwapKind, now: Duration) -> [PoolEffect] {
        guard let target = target ?? targets[machine.current] else {
            preconditionFailure("pool: no target for generation \(machine.current)")
        }
        let reclaimed = reclaimParked(now: now)
        let actions = reclaimed + machine.requestSwap(id: id, kind: kind, now: now)
        targets[machine.latest] = target
        targets = targets.filter { machine.generations[$0.key] != nil }
        return effects(for: actions)
    }

    private mutating func removeConnection(_ id: Int) -> any AnyObject & Sendable {
        if let cell = cells.removeValue(forKey: id), case .parked = cell.turnOff() {
            preconditionFailure("pool: connection \(id) closed while parked in its cell")
        }
        guard let connection = connections.removeValue(forKey: id) else {
            preconditionFailure("pool: closed connection \(id) is unknown")
        }
        return connection
    }

    /// A close of a `generation` connection finished; returns the swaps that may now report.
    mutating func closeFinished(generation: Int) -> [PoolEffect] {
        closing[generation, default: 1] -= 1
        if closing[generation] == 0 {
            closing[generation] = nil
        }
        let swaps = takeReportableSwaps()
        return swaps.isEmpty ? [] : [.reportSwaps(swaps)]
    }

    /// Finished swaps none of whose older connections is still closing.
    private mutating func takeReportableSwaps() -> [(CheckedContinuation<SwapReport, Never>?, SwapReport)] {
        let ready = finishedSwaps.filter { swap in !closing.keys.contains { $0 < swap.report.generation } }
        finishedSwaps.removeAll { swap in !closing.keys.contains { $0 < swap.report.generation } }
        return ready.map { ($0.continuation, $0.report) }
    }

    /// The operation counter of `generation`, made on first use.
    mutating func operationCounter(_ generation: Int) -> OperationCounter {
        if let last = lastCounter, last.generation == generation {
            return last.counter
        }
        if let counter = generationOperations[generation] {
            lastCounter = (generation, counter)
            return counter
        }
        let counter = OperationCounter()
        generationOperations[generation] = counter
        generationOperations = generationOperations.filter { machine.generations[$0.key] != nil }
        lastCounter = (generation, counter)
        return counter
    }
}

/// A side effect to perform after unlocking.
enum PoolEffect {
    case resume(CheckedContinuation<PoolLease, any Error>?, Result<PoolLease, any Error>, waited: Duration?)
    case job(PoolJob)
    case reportSwaps([(CheckedContinuation<SwapReport, Never>?, SwapReport)])
    /// Every connection is gone: ``run()`` may finish once its last close is done.
    case completeShutdown
}

/// Work that runs as a child task of ``ConnectionPool/run()``; the generic shell casts the
/// target and connections back to its factory's types.
enum PoolJob: Sendable {
    case create(creation: Int, generation: Int, target: any Sendable)
    case close(any AnyObject & Sendable, generation: Int, reason: CloseReason)
    case forceClose(any AnyObject & Sendable, generation: Int)
    /// A keep-alive ping of an idle connection, leased to the pool for it.
    case ping(PoolLease)
    case waiterTimer(at: Duration)
    case drainTimer(generation: Int, at: Duration)
}

extension ConnectionPool {
    /// The factory's connection that `lease` lends.
    func connection(of lease: Lease) -> Factory.Connection {
        Self.open(lease.connection)
    }

    /// The connection in `box`, which this pool made for one of its factory's connections.
    @inlinable
    static func open(_ box: any AnyObject & Sendable) -> Factory.Connection {
        // Unchecked: a checked cast asked the runtime on every borrow; the pool boxes only its
        // factory's connections, so the type always matches.
        unsafeDowncast(box, to: ConnectionBox<Factory.Connection>.self).connection
    }

    /// `value`, filed by this pool as `any Sendable`, as the factory's type it was filed as.
    static func unbox<Value>(_ value: any Sendable, as type: Value.Type) -> Value {
        // A forced cast: `as?` made the runtime look up `Optional<Value>` on every borrow. A
        // failure traps naming both types; the pool files only its factory's values.
        value as! Value
    }

    /// Performs `effects`; never called with the lock held.
    func perform(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case .resume(let continuation, let result, let waited):
                guard let continuation else {
                    preconditionFailure("pool: a waiter was resumed twice or never registered")
                }
                report(result, waited: waited)
                continuation.resume(with: result)
            case .job(let job):
                submit(job)
            case .reportSwaps(let swaps):
                for (continuation, report) in swaps {
                    delegate?.swapFinished(report)
                    continuation?.resume(returning: report)
                }
            case .completeShutdown:
                jobs.finish()
            }
        }
    }

    /// Hands `job` to ``run()``; once it takes no more jobs, closes still happen in a task of
    /// their own, which ``run()`` waits for.
    func submit(_ job: Job) {
        if !jobs.push(job) {
            switch job {
            case .close, .forceClose:
                lateCloses.start { await self.execute(job) }
            case .create(let creation, _, _):
                let now = clock.elapsed()
                perform(state.withLock { $0.effects(for: $0.machine.creationAbandoned(creation, now: now)) })
            case .ping(let lease):
                // Not pinged: back as it was, like a borrow that never used it.
                release(lease, .unused)
            case .waiterTimer, .drainTimer:
                break
            }
        }
    }

    private func report(_ result: Result<Lease, any Error>, waited: Duration?) {
        guard let delegate else {
            return
        }
        switch result {
        case .success:
            delegate.leaseAcquired(waited: waited ?? .zero)
        case .failure(let error as ConnectionPoolError):
            delegate.acquireFailed(error)
        case .failure:
            break
        }
    }
}

/// A factory's connection as the pool files it: a class of known type, opened without a
/// dynamic cast (see ``ConnectionPool/open(_:)``).
@usableFromInline
final class ConnectionBox<Connection: Sendable>: Sendable {
    @usableFromInline let connection: Connection

    init(_ connection: Connection) {
        self.connection = connection
    }
}
