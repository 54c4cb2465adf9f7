import Synchronization
import TetherLocking
import TetherPool

/// A ``ConnectionFactory`` whose next connection attempt the test decides.
///
/// Attempts follow the script given to ``script(_:)``, then ``defaultAttempt``. A suspended
/// attempt waits until the test ends it with ``finishSuspendedAttempt(_:)``, so a test can hold
/// a creation in flight while it swaps, cancels or lets time pass, and never sleeps.
///
/// ```swift
/// let factory = FakeConnectionFactory()
/// factory.script(.fail(FakeConnectionError.refused), .succeed)
/// ```
public final class FakeConnectionFactory: ConnectionFactory {
    /// The target is a label, such as a connect string.
    public typealias Target = String

    /// What one connection attempt does.
    public enum Attempt: Sendable {
        /// Returns a new ``FakeConnection``.
        case succeed
        /// Throws the error.
        case fail(any Error)
        /// Waits for ``FakeConnectionFactory/finishSuspendedAttempt(_:)`` or cancellation.
        case suspend
    }

    private struct State {
        var script: [Attempt] = []
        var defaultAttempt: Attempt
        var attemptedTargets: [String] = []
        var connections: [FakeConnection] = []
        var validations = 0
        var suspended: [(id: Int, continuation: CheckedContinuation<Attempt, Never>)] = []
        var attemptWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var discardOpenTransactions = false
        /// Marks no open connection owns, taken in order by new connections.
        var freeMarks: [ThreadAffinity]
        /// By connection object: a connection made on its own may share a number with one of ours.
        var marks: [ObjectIdentifier: ThreadAffinity] = [:]
    }

    private let state: Locked<State>

    /// Makes a factory whose unscripted attempts do `defaultAttempt`.
    ///
    /// - Parameter threadMarks: Marks of threads the connections own (see
    ///   ``MarkedThreadExecutor``): each new connection takes the next mark no open connection
    ///   holds, while there is one, and reports it from ``threadAffinity(of:)``; a closed
    ///   connection gives its mark back. Defaults to none.
    public init(defaultAttempt: Attempt = .succeed, threadMarks: [ThreadAffinity] = []) {
        state = Locked(State(defaultAttempt: defaultAttempt, freeMarks: threadMarks.reversed()))
    }

    /// What an attempt does once the script is used up.
    public var defaultAttempt: Attempt {
        get { state.withLock { $0.defaultAttempt } }
        set { state.withLock { $0.defaultAttempt = newValue } }
    }

    /// When `true`, a connection returned inside a transaction is discarded instead of rolled back.
    public var discardsOpenTransactions: Bool {
        get { state.withLock { $0.discardOpenTransactions } }
        set { state.withLock { $0.discardOpenTransactions = newValue } }
    }

    /// Queues what the next attempts do, in order.
    public func script(_ attempts: Attempt...) {
        state.withLock { $0.script += attempts }
    }

    /// The target of every attempt so far, in order.
    public var attemptedTargets: [String] { state.withLock { $0.attemptedTargets } }

    /// Attempts started so far.
    public var attempts: Int { state.withLock { $0.attemptedTargets.count } }

    /// Every connection made, in order.
    public var connections: [FakeConnection] { state.withLock { $0.connections } }

    /// Connections made and not closed.
    public var openConnections: [FakeConnection] { connections.filter { !$0.isClosed } }

    /// Validations asked for by the pool.
    public var validations: Int { state.withLock { $0.validations } }

    /// Attempts waiting in ``Attempt/suspend``.
    public var suspendedAttempts: Int { state.withLock { $0.suspended.count } }

    /// Returns once at least `count` attempts have started.
    public func waitForAttempts(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let reached = state.withLock { state in
                if state.attemptedTargets.count >= count {
                    return true
                }
                state.attemptWaiters.append((count, continuation))
                return false
            }
            if reached {
                continuation.resume()
            }
        }
    }

    /// Ends the oldest suspended attempt with `outcome`.
    ///
    /// - Returns: `false` when no attempt was suspended.
    @discardableResult
    public func finishSuspendedAttempt(_ outcome: Attempt) -> Bool {
        let suspended = state.withLock { $0.suspended.isEmpty ? nil : $0.suspended.removeFirst() }
        suspended?.continuation.resume(returning: outcome)
        return suspended != nil
    }

    /// Records the attempt and does what the script says next.
    public func makeConnection(to target: String, timeout: Duration) async throws -> FakeConnection {
        let (attempt, id, reached) = state.withLock { state in
            state.attemptedTargets.append(target)
            let count = state.attemptedTargets.count
            let reached = state.attemptWaiters.filter { $0.count <= count }.map(\.continuation)
            state.attemptWaiters.removeAll { $0.count <= count }
            let attempt = state.script.isEmpty ? state.defaultAttempt : state.script.removeFirst()
            return (attempt, count, reached)
        }
        reached.forEach { $0.resume() }
        return try await perform(attempt, id: id, target: target)
    }

    /// Marks `connection` closed; its thread mark, if it had one, is free again.
    public func close(_ connection: FakeConnection) async {
        connection.close()
        state.withLock { state in
            if let mark = state.marks.removeValue(forKey: ObjectIdentifier(connection)) {
                state.freeMarks.append(mark)
            }
        }
    }

    /// The mark of the thread `connection` owns, if it took one (see ``init(defaultAttempt:threadMarks:)``).
    public func threadAffinity(of connection: FakeConnection) -> ThreadAffinity? {
        state.withLock { $0.marks[ObjectIdentifier(connection)] }
    }

    /// Counts the validation; a killed or closed connection fails it, and so does a cancelled
    /// caller, as a real round trip would.
    public func validate(_ connection: FakeConnection) async -> Bool {
        state.withLock { $0.validations += 1 }
        return connection.isAlive && !Task.isCancelled
    }

    /// The kind a ``FakeConnectionError`` carries; anything else is ``ConnectionFailureKind/other``.
    public func classify(_ error: any Error) -> ConnectionFailureKind {
        (error as? FakeConnectionError)?.kind ?? .other
    }

    /// Ends operations hanging in ``FakeConnection/hang()`` with ``FakeConnectionError/cancelled``.
    public func cancelOperation(on connection: FakeConnection) {
        connection.cancel()
    }

    /// Rolls back an open transaction, or refuses one when ``discardsOpenTransactions`` is set;
    /// a killed or closed connection is refused.
    public func reset(_ connection: FakeConnection) async throws -> Bool {
        if connection.isInTransaction && discardsOpenTransactions {
            return false
        }
        return connection.rollBack()
    }

    private func perform(_ attempt: Attempt, id: Int, target: String) async throws -> FakeConnection {
        switch attempt {
        case .succeed:
            return state.withLock { state in
                let connection = FakeConnection(id: state.connections.count + 1, target: target)
                state.connections.append(connection)
                if let mark = state.freeMarks.popLast() {
                    state.marks[ObjectIdentifier(connection)] = mark
                }
                return connection
            }
        case .fail(let error):
            throw error
        case .suspend:
            let outcome = await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let cancelled = state.withLock { state in
                        if Task.isCancelled {
                            return true
                        }
                        state.suspended.append((id, continuation))
                        return false
                    }
                    if cancelled {
                        continuation.resume(returning: .fail(CancellationError()))
                    }
                }
            } onCancel: {
                let suspended = state.withLock { state in
                    state.suspended.firstIndex { $0.id == id }.map { state.suspended.remove(at: $0) }
                }
                suspended?.continuation.resume(returning: .fail(CancellationError()))
            }
            if case .suspend = outcome {
                preconditionFailure("FakeConnectionFactory: a suspended attempt cannot finish by suspending again")
            }
            return try await perform(outcome, id: id, target: target)
        }
    }
}
