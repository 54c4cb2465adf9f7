import Synchronization
import TetherLocking
import TetherPool

/// A connection that does no I/O, for testing code that uses a ``ConnectionPool``.
///
/// The test kills it, opens a transaction on it, or runs an operation that hangs until the
/// pool cancels it; the connection records what happened to it.
public final class FakeConnection: Sendable, CustomStringConvertible {
    /// Unique within its factory, counting from 1 in order of creation.
    public let id: Int

    /// The target it was made to.
    public let target: String

    private struct State {
        var alive = true
        var closed = false
        var inTransaction = false
        var operations = 0
        var rollbacks = 0
        var cancellations = 0
        /// Operations in ``hang()``, by their number.
        var hanging: [Int: CheckedContinuation<Void, any Error>] = [:]
        var hangs = 0
    }

    private let state = Locked(State())

    /// A connection of its own, outside any factory (`id` 0 unless given): for code that takes
    /// a connection directly. It owns no thread mark; ``hang()`` on it ends only when its task
    /// is cancelled.
    public init(id: Int = 0, target: String = "fake") {
        self.id = id
        self.target = target
    }

    public var description: String { "FakeConnection(\(id), \(target))" }

    /// Whether the far end is still there; ``kill()`` ends it.
    public var isAlive: Bool { state.withLock { $0.alive && !$0.closed } }

    /// Whether the pool closed it.
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Whether a transaction is open.
    public var isInTransaction: Bool { state.withLock { $0.inTransaction } }

    /// Operations run with ``perform()`` or ``hang()``, failed ones included.
    public var operations: Int { state.withLock { $0.operations } }

    /// Transactions the factory rolled back when the connection came back to the pool.
    public var rollbacks: Int { state.withLock { $0.rollbacks } }

    /// Times the pool cancelled an operation on it.
    public var cancellations: Int { state.withLock { $0.cancellations } }

    /// Makes the far end disappear, as a database restart would.
    public func kill() {
        state.withLock { $0.alive = false }
    }

    /// Opens a transaction that the pool must roll back or discard.
    public func beginTransaction() {
        state.withLock { $0.inTransaction = true }
    }

    /// Runs one operation.
    ///
    /// - Throws: ``FakeConnectionError/broken`` when the connection was killed or closed.
    public func perform() throws {
        try state.withLock { state in
            state.operations += 1
            guard state.alive && !state.closed else {
                throw FakeConnectionError.broken
            }
        }
    }

    /// Runs one operation that hands back what `work` returns, as a query hands back rows:
    /// counted, and failing before `work` runs, as ``perform()`` is.
    ///
    /// - Throws: ``FakeConnectionError/broken`` when the connection was killed or closed;
    ///   what `work` throws.
    public func perform<R>(_ work: () throws -> R) throws -> R {
        try perform()
        return try work()
    }

    /// Runs an operation that never finishes by itself: it ends when the pool cancels it
    /// through ``FakeConnectionFactory/cancelOperation(on:)`` or the calling task is cancelled.
    ///
    /// - Throws: ``FakeConnectionError/cancelled``.
    public func hang() async throws {
        let number = state.withLock { state in
            state.hangs += 1
            return state.hangs
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let ended = state.withLock { state in
                    state.operations += 1
                    // The task's flag is set before its handler runs, and both take the lock: a
                    // cancellation either finds the operation registered or is seen here.
                    if state.cancellations > 0 || state.closed || Task.isCancelled {
                        return true
                    }
                    state.hanging[number] = continuation
                    return false
                }
                if ended {
                    continuation.resume(throwing: FakeConnectionError.cancelled)
                }
            }
        } onCancel: {
            let continuation = state.withLock { $0.hanging.removeValue(forKey: number) }
            continuation?.resume(throwing: FakeConnectionError.cancelled)
        }
    }

    func cancel() {
        let hanging = state.withLock { state in
            state.cancellations += 1
            defer { state.hanging = [:] }
            return state.hanging.values
        }
        hanging.forEach { $0.resume(throwing: FakeConnectionError.cancelled) }
    }

    func close() {
        state.withLock { $0.closed = true }
    }

    /// Rolls back an open transaction; `false` when the connection is dead.
    func rollBack() -> Bool {
        state.withLock { state in
            if state.inTransaction {
                state.inTransaction = false
                state.rollbacks += 1
            }
            return state.alive && !state.closed
        }
    }
}

/// The failures a ``FakeConnection`` and a ``FakeConnectionFactory`` produce, one per kind
/// of ``ConnectionFailureKind``.
public struct FakeConnectionError: Error, Hashable, CustomStringConvertible {
    /// The kind ``FakeConnectionFactory/classify(_:)`` gives it.
    public let kind: ConnectionFailureKind

    /// Says what happened.
    public let message: String

    /// Makes an error of `kind`.
    public init(_ kind: ConnectionFailureKind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The connection is gone.
    public static let broken = FakeConnectionError(.broken, "connection lost")
    /// The connection was gone before the operation was sent.
    public static let brokenBeforeSend = FakeConnectionError(.brokenBeforeSend, "connection lost before sending")
    /// The connection was lost after the operation was sent.
    public static let outcomeUnknown = FakeConnectionError(.outcomeUnknown, "transaction resolution unknown")
    /// The credentials were refused.
    public static let authentication = FakeConnectionError(.authentication, "password authentication failed")
    /// The target refused the connection.
    public static let refused = FakeConnectionError(.other, "connection refused")
    /// The operation was cancelled.
    public static let cancelled = FakeConnectionError(.other, "operation cancelled")

    public var description: String { "\(message) (\(kind))" }
}
