/// A failure of the pool itself, as opposed to an error thrown by the caller's operation,
/// which ``ConnectionPool/withConnection(idempotent:_:)`` rethrows unchanged.
///
/// Match on ``code``; ``underlying`` carries the real cause where there is one.
public struct ConnectionPoolError: Error, CustomStringConvertible {
    /// What went wrong, as a value to match on and a short label for metrics.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case acquireTimeout = "acquire-timeout"
            case connectFailed = "connect-failed"
            case outcomeUnknown = "outcome-unknown"
            case shutdown
            case invalidConfiguration = "invalid-configuration"
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// No connection became free within the acquire timeout: the pool is exhausted.
        public static let acquireTimeout = Code(.acquireTimeout)

        /// No connection could be made; ``ConnectionPoolError/underlying`` is the last cause.
        public static let connectFailed = Code(.connectFailed)

        /// The connection broke while the operation was under way (after it was sent, or after an
        /// earlier step of it did work); it may or may not have taken effect.
        public static let outcomeUnknown = Code(.outcomeUnknown)

        /// The pool is shutting down or has shut down.
        public static let shutdown = Code(.shutdown)

        /// A ``PoolConfiguration`` value was out of range.
        public static let invalidConfiguration = Code(.invalidConfiguration)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public let code: Code

    /// The real cause: the last connection failure, or the error that broke the connection.
    public let underlying: (any Error)?

    /// Set on an acquire timeout when the waiting task already held a lease from this pool,
    /// the usual reason an exhausted pool never frees up.
    public let currentTaskHoldsLease: Bool

    /// What was wrong, for ``Code/invalidConfiguration``.
    public let detail: String?

    init(_ code: Code, underlying: (any Error)? = nil, currentTaskHoldsLease: Bool = false, detail: String? = nil) {
        self.code = code
        self.underlying = underlying
        self.currentTaskHoldsLease = currentTaskHoldsLease
        self.detail = detail
    }

    public var description: String {
        var text: String
        switch code {
        case .acquireTimeout: text = "no connection became free within the acquire timeout (pool exhausted)"
        case .connectFailed: text = "no connection could be made"
        case .outcomeUnknown: text = "the connection broke while the operation was under way; its outcome is unknown"
        case .shutdown: text = "the pool is shut down"
        default: text = "invalid pool configuration"
        }
        if let detail {
            text += ": \(detail)"
        }
        if currentTaskHoldsLease {
            text += "; the waiting task already holds a lease from this pool (nested acquisition)"
        }
        if let underlying {
            text += ": \(underlying)"
        }
        return text
    }
}
