/// What a failure says about the connection it happened on, as a ``ConnectionFactory`` sorts it.
///
/// | kind | connection | operation retried on a fresh connection |
/// |---|---|---|
/// | ``broken`` | evicted | when nothing was sent, or the caller marked it idempotent |
/// | ``brokenBeforeSend`` | evicted | always, once |
/// | ``outcomeUnknown`` | evicted | never; the caller gets ``ConnectionPoolError/Code/outcomeUnknown`` |
/// | ``authentication`` | not made | never; creation stops retrying |
/// | ``other`` | kept | never |
public struct ConnectionFailureKind: Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case broken
        case brokenBeforeSend = "broken-before-send"
        case outcomeUnknown = "outcome-unknown"
        case authentication
        case other
    }

    private let code: Code

    private init(_ code: Code) {
        self.code = code
    }

    /// The connection is gone (for ODBC, SQLSTATE class 08 or a server shutdown code); the
    /// operation did not complete, but may have reached the server.
    public static let broken = ConnectionFailureKind(.broken)

    /// The connection is gone and the operation provably never left the client.
    ///
    /// It speaks of the step that failed. When a timed-out drain closed the connection under
    /// the operation, whose earlier steps may have done work, the pool counts it as ``broken``.
    public static let brokenBeforeSend = ConnectionFailureKind(.brokenBeforeSend)

    /// The connection is gone and the operation may have taken effect (for ODBC, 08007).
    public static let outcomeUnknown = ConnectionFailureKind(.outcomeUnknown)

    /// The target refused the credentials; trying again will not help.
    public static let authentication = ConnectionFailureKind(.authentication)

    /// Anything else: the connection is fine and the error is the caller's to handle.
    public static let other = ConnectionFailureKind(.other)

    /// Whether the connection must be evicted.
    public var isBroken: Bool {
        code == .broken || code == .brokenBeforeSend || code == .outcomeUnknown
    }

    public var description: String { code.rawValue }
}

/// Thrown by an operation to say that its failure happened before anything reached the server.
///
/// When ``underlying`` is classified as a broken connection, ``ConnectionPool`` retries the
/// operation once on a fresh connection even if it was not marked idempotent. The caller never
/// sees this wrapper: a failure that is not retried is rethrown as ``underlying``.
public struct NothingSentError: Error {
    /// The failure itself.
    public let underlying: any Error

    /// Wraps `underlying`.
    public init(_ underlying: any Error) {
        self.underlying = underlying
    }
}
