/// An error from unixODBC, the driver, the database, or TetherODBC itself.
///
/// `kind` says what the failure means for the connection; `sqlState`, `nativeCode` and
/// `message` carry the first diagnostic record. The message never contains the password of
/// the connect string or the text of a bound parameter: both are replaced by `***` before
/// the error is made.
///
/// ```swift
/// do {
///     try await connection.withSession { try $0.execute("DELETE FROM jobs") }
/// } catch let error as ODBCError where error.kind == .connectionLost {
///     // evict the connection and try elsewhere
/// }
/// ```
public struct ODBCError: Error, Sendable, CustomStringConvertible {
    /// What a failure means for the connection and the operation.
    public let kind: Kind
    /// The five-character SQLSTATE, or `nil` for errors TetherODBC raises itself.
    public let sqlState: String?
    /// The driver's or database's own error number; 0 when there is none.
    public let nativeCode: Int
    /// The diagnostic text, with secrets removed.
    public let message: String
    /// The ODBC function or TetherODBC step that failed, such as `SQLExecute`.
    public let operation: String
    /// Every diagnostic record of the failure, first one first, secrets removed.
    public let diagnostics: [ODBCDiagnostic]

    init(kind: Kind, operation: String, message: String, diagnostics: [ODBCDiagnostic] = []) {
        self.kind = kind
        self.operation = operation
        self.sqlState = diagnostics.first?.sqlState
        self.nativeCode = diagnostics.first?.nativeCode ?? 0
        self.message = message
        self.diagnostics = diagnostics
    }

    public var description: String {
        var text = "ODBC error (\(kind)) in \(operation)"
        if let sqlState {
            text += " [\(sqlState)]"
        }
        if nativeCode != 0 {
            text += " native \(nativeCode)"
        }
        return text + ": " + message
    }
}

/// One diagnostic record, as `SQLGetDiagRec` returns it.
public struct ODBCDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// The five-character SQLSTATE.
    public let sqlState: String
    /// The driver's or database's own error number.
    public let nativeCode: Int
    /// The diagnostic text, with secrets removed.
    public let message: String

    /// Makes a record; public so that code classifying errors can be tested with records of its own.
    public init(sqlState: String, nativeCode: Int, message: String) {
        self.sqlState = sqlState
        self.nativeCode = nativeCode
        self.message = message
    }

    public var description: String { "[\(sqlState)] \(message)" }
}

extension ODBCError {
    /// What a failure means, so that a pool can decide between evicting, retrying and giving up.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Code: String, Sendable {
            case connectionLost = "connection lost"
            case outcomeUnknown = "outcome unknown"
            case authentication
            case cancelled
            case timedOut = "timed out"
            case connectionClosed = "connection closed"
            case invalidArgument = "invalid argument"
            case decoding
            case other
        }

        private let code: Code

        /// The connection is gone (SQLSTATE class 08, server shutdown 57P01-57P03, Oracle
        /// disconnect codes): discard it. A statement that failed this way may or may not have run.
        public static let connectionLost = Kind(code: .connectionLost)
        /// The connection failed while a commit was in flight (08007): whether it took effect is unknown.
        public static let outcomeUnknown = Kind(code: .outcomeUnknown)
        /// The server refused the login: the credentials (SQLSTATE class 28, Oracle ORA-01017 and
        /// friends), or, on PostgreSQL, a role or database that does not exist. Trying again
        /// with the same connect string will not help.
        public static let authentication = Kind(code: .authentication)
        /// The statement was cancelled: by cancelling the calling task, or by the server.
        public static let cancelled = Kind(code: .cancelled)
        /// The login or query timeout passed (HYT00, HYT01, or 57014 under a query timeout).
        public static let timedOut = Kind(code: .timedOut)
        /// The ``ODBCConnection`` was closed before or while the call was made.
        public static let connectionClosed = Kind(code: .connectionClosed)
        /// The caller passed something TetherODBC refuses: a malformed connect string, a bad parameter.
        public static let invalidArgument = Kind(code: .invalidArgument)
        /// A column could not be decoded as the type asked for.
        public static let decoding = Kind(code: .decoding)
        /// Anything else: syntax errors, constraint violations, missing tables.
        public static let other = Kind(code: .other)

        /// A short fixed text, fit for a metric label.
        public var description: String { code.rawValue }
    }
}

extension ODBCError {
    static func closed(_ operation: String) -> ODBCError {
        ODBCError(kind: .connectionClosed, operation: operation, message: "the connection is closed")
    }

    static func invalidArgument(_ operation: String, _ message: String) -> ODBCError {
        ODBCError(kind: .invalidArgument, operation: operation, message: message)
    }

    static func decoding(_ message: String) -> ODBCError {
        ODBCError(kind: .decoding, operation: "decode", message: message)
    }

    static func cancelled(_ operation: String) -> ODBCError {
        ODBCError(
            kind: .cancelled, operation: operation, message: "the session was cancelled (its task, or a pool's drain)")
    }
}
