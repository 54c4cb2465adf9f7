import Glibc

/// A network operation failed: the deadline passed, the peer went away, or TLS refused the peer.
///
/// Match on ``code`` and ``phase``:
///
/// ```swift
/// catch let error as NetworkError where error.code == .timedOut && error.phase == .connect { ... }
/// ```
///
/// The description names the phase, what went wrong and, for TLS, OpenSSL's reason text;
/// it never carries bytes read or written.
public struct NetworkError: Error, Sendable, CustomStringConvertible {
    /// The step of the stream's life in which the error happened.
    public struct Phase: Sendable, Hashable, CustomStringConvertible {
        public let description: String

        /// Turning a host name into addresses.
        public static let resolve = Phase(description: "resolve")
        /// Establishing the TCP connection.
        public static let connect = Phase(description: "connect")
        /// Reading from an established stream.
        public static let read = Phase(description: "read")
        /// Writing to an established stream.
        public static let write = Phase(description: "write")
        /// The TLS handshake, implicit or after STARTTLS.
        public static let tlsHandshake = Phase(description: "TLS handshake")
    }

    /// What went wrong, independent of the phase.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable {
            case timedOut = "timed out"
            case connectionRefused = "connection refused"
            case connectionReset = "connection reset by peer"
            case endOfStream = "peer closed the stream"
            case bytesBeforeTLS = "bytes were waiting before the TLS handshake"
            case tlsFailure = "TLS failure"
            case resolutionFailed = "host name resolution failed"
            case closed = "stream was closed"
            case systemError = "system call failed"
            case invalidArgument = "invalid argument"
        }

        fileprivate let base: Base

        public var description: String { base.rawValue }

        /// A short fixed name for metric labels and log keys, such as `timedOut`.
        public var label: String { String(describing: base) }

        /// The operation's deadline passed before it completed.
        public static let timedOut = Code(base: .timedOut)
        /// Nothing listens on the address (the peer answered with a reset).
        public static let connectionRefused = Code(base: .connectionRefused)
        /// The peer reset the connection (or the network broke it).
        public static let connectionReset = Code(base: .connectionReset)
        /// The peer closed its side where more bytes were needed.
        public static let endOfStream = Code(base: .endOfStream)
        /// Bytes arrived before the STARTTLS handshake began: only someone in the middle could send them.
        public static let bytesBeforeTLS = Code(base: .bytesBeforeTLS)
        /// The TLS handshake or a TLS record failed; ``NetworkError/detail`` holds OpenSSL's reason.
        public static let tlsFailure = Code(base: .tlsFailure)
        /// The host name did not resolve to any address.
        public static let resolutionFailed = Code(base: .resolutionFailed)
        /// The stream was closed locally (by ``ByteStream/close()``, a deadline or cancellation).
        public static let closed = Code(base: .closed)
        /// The caller passed a value the operation cannot use; ``NetworkError/detail`` names it.
        public static let invalidArgument = Code(base: .invalidArgument)
        /// Another system call failed; ``NetworkError/detail`` names it and the error number.
        public static let systemError = Code(base: .systemError)
    }

    /// What went wrong.
    public let code: Code
    /// When it went wrong.
    public let phase: Phase
    /// More about the cause: OpenSSL's reason text, the system error, the host name that did not resolve.
    public let detail: String?

    init(_ code: Code, _ phase: Phase, detail: String? = nil) {
        self.code = code
        self.phase = phase
        self.detail = detail
    }

    public var description: String {
        var text = "\(phase): \(code)"
        if let detail, !detail.isEmpty {
            text += " (\(detail))"
        }
        return text
    }
}

extension NetworkError {
    static func timedOut(_ phase: Phase) -> NetworkError { NetworkError(.timedOut, phase) }

    static func closed(_ phase: Phase) -> NetworkError { NetworkError(.closed, phase) }

    /// Maps an `errno` from a socket call to the error a caller can act on.
    static func system(_ number: Int32, _ phase: Phase, call: String) -> NetworkError {
        switch number {
        case ECONNREFUSED: NetworkError(.connectionRefused, phase, detail: call)
        case ECONNRESET, EPIPE, ECONNABORTED: NetworkError(.connectionReset, phase)
        case ETIMEDOUT: NetworkError(.timedOut, phase, detail: "\(call): the kernel gave up")
        default: NetworkError(.systemError, phase, detail: "\(call): \(String(cString: strerror(number)))")
        }
    }
}
