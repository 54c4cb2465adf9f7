/// Why a message was not sent, or why its outcome is unknown.
///
/// Match on ``kind`` to decide what to do next and on ``code`` for the precise cause:
///
/// ```swift
/// catch let error as SMTPError where error.kind == .transient { retry later }
/// catch let error as SMTPError where error.code == .authenticationFailed { fix credentials }
/// ```
///
/// ``description`` names the phase, the reply and the field at fault; it never carries a
/// credential or message content.
public struct SMTPError: Error, Sendable, CustomStringConvertible {
    /// What the failure means for the message.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String { case notAccepted, transient, permanent, ambiguous }
        private let base: Base

        /// Nothing was accepted and no server reply classified it: invalid input, a refused
        /// or broken connection, a timeout before the end of data, a TLS or policy failure.
        public static let notAccepted = Kind(base: .notAccepted)
        /// The server answered with a 4xx reply; trying later may succeed.
        public static let transient = Kind(base: .transient)
        /// The server answered with a 5xx reply; the same message will fail again.
        public static let permanent = Kind(base: .permanent)
        /// The end-of-data terminator went out but no final reply came: the server may have
        /// accepted the message. Never retried automatically.
        public static let ambiguous = Kind(base: .ambiguous)

        public var description: String { base.rawValue }
    }

    /// The precise cause, with a short fixed form for metric labels.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String {
            case invalidInput, controlCharacter, connectionFailed, connectionClosed, timedOut, cancelled
            case malformedReply, unexpectedReply, rejected, tlsRequired, tlsFailed, bytesBeforeTLS
            case authenticationRequiresTLS, authenticationUnavailable, authenticationFailed
            case messageTooLarge, extensionUnavailable, recipientsRejected
        }
        private let base: Base

        /// A field of the message or configuration is malformed; ``SMTPError/field`` names it.
        public static let invalidInput = Code(base: .invalidInput)
        /// A command argument held a control character (CR, LF, NUL, ...).
        public static let controlCharacter = Code(base: .controlCharacter)
        /// The TCP connection could not be made.
        public static let connectionFailed = Code(base: .connectionFailed)
        /// The peer closed or reset the connection.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// A phase's deadline passed.
        public static let timedOut = Code(base: .timedOut)
        /// The caller's task was cancelled.
        public static let cancelled = Code(base: .cancelled)
        /// The server sent bytes that are not an SMTP reply.
        public static let malformedReply = Code(base: .malformedReply)
        /// The server answered with a code that does not fit the command.
        public static let unexpectedReply = Code(base: .unexpectedReply)
        /// The server refused a command with a 4xx or 5xx reply.
        public static let rejected = Code(base: .rejected)
        /// The TLS policy requires STARTTLS and the server does not offer it.
        public static let tlsRequired = Code(base: .tlsRequired)
        /// The TLS handshake failed.
        public static let tlsFailed = Code(base: .tlsFailed)
        /// Bytes arrived after the STARTTLS reply and before the handshake: the session is
        /// abandoned because only a man in the middle could have put them there.
        public static let bytesBeforeTLS = Code(base: .bytesBeforeTLS)
        /// Credentials are configured and the connection is plaintext: no credential byte was sent.
        public static let authenticationRequiresTLS = Code(base: .authenticationRequiresTLS)
        /// The server offers none of the mechanisms the credentials can use.
        public static let authenticationUnavailable = Code(base: .authenticationUnavailable)
        /// The server refused the credentials.
        public static let authenticationFailed = Code(base: .authenticationFailed)
        /// The message is larger than the server's SIZE limit; refused before it was sent.
        public static let messageTooLarge = Code(base: .messageTooLarge)
        /// The message needs an extension (SMTPUTF8, 8BITMIME, DSN) that the server does not offer.
        public static let extensionUnavailable = Code(base: .extensionUnavailable)
        /// Recipients were refused: all of them, or some under ``RecipientPolicy/allOrNothing``.
        public static let recipientsRejected = Code(base: .recipientsRejected)

        public var description: String { base.rawValue }
    }

    /// What the failure means for the message.
    public let kind: Kind
    /// The precise cause.
    public let code: Code
    /// The phase the session was in.
    public let phase: SMTPPhase
    /// The server's reply that caused the failure, when there was one.
    public let reply: SMTPReply?
    /// Each recipient's reply, for failures after RCPT commands were answered.
    public let recipients: [RecipientResult]
    /// The input field at fault, for ``Code/invalidInput`` and ``Code/controlCharacter``.
    public let field: String?
    /// A sentence on what went wrong; never holds credentials or content.
    public let detail: String
    /// Whether a reused connection was found dead (closed, reset, 421, failed RSET or NOOP)
    /// before any message content was written: the message was not sent, and sending it on a
    /// new connection sends it once. ``SMTPClient`` does that by itself.
    public let connectionFoundDead: Bool

    init(
        _ kind: Kind, _ code: Code, phase: SMTPPhase, reply: SMTPReply? = nil,
        recipients: [RecipientResult] = [], field: String? = nil, detail: String, foundDead: Bool = false
    ) {
        self.kind = kind
        self.code = code
        self.phase = phase
        self.reply = reply
        self.recipients = recipients
        self.field = field
        self.detail = detail
        self.connectionFoundDead = foundDead
    }

    /// The reply code, when a reply caused the failure.
    public var replyCode: Int? { reply?.code }
    /// The enhanced status code (RFC 3463), when the reply carried one.
    public var enhancedCode: EnhancedStatusCode? { reply?.enhancedCode }
    /// The reply text, when a reply caused the failure.
    public var text: String? { reply?.text }

    /// How long to wait before another attempt, when the failure suggests one: the wait the
    /// server's reply states (``SMTPReply/statedRetryDelay``); otherwise a 421 (the server is
    /// closing) suggests a short pause, other 4xx replies a longer one.
    public var retryAfterHint: Duration? {
        guard kind == .transient || kind == .notAccepted, code != .invalidInput, code != .controlCharacter else {
            return nil
        }
        if let stated = reply?.statedRetryDelay { return stated }
        if reply?.code == 421 || code == .connectionClosed { return .seconds(30) }
        return kind == .transient ? .seconds(300) : nil
    }

    public var description: String {
        var text = "SMTP \(kind) (\(code)) in \(phase)"
        if let field { text += ", field \(field)" }
        text += ": \(detail)"
        if let reply { text += " [server: \(reply)]" }
        return text
    }
}

extension SMTPError {
    static func invalid(_ field: String, _ detail: String) -> SMTPError {
        SMTPError(.notAccepted, .invalidInput, phase: .validation, field: field, detail: detail)
    }

    static func controlCharacter(in field: String) -> SMTPError {
        SMTPError(
            .notAccepted, .controlCharacter, phase: .validation, field: field,
            detail: "\(field) contains a control character (CR, LF, NUL or another below 0x20 or 0x7F)"
        )
    }

    /// The error for a 4xx or 5xx reply to a command in `phase`.
    static func rejected(
        _ reply: SMTPReply, phase: SMTPPhase, code: Code = .rejected, recipients: [RecipientResult] = [],
        detail: String? = nil
    ) -> SMTPError {
        let kind: Kind = reply.isTransient ? .transient : reply.isPermanent ? .permanent : .notAccepted
        let code = reply.isTransient || reply.isPermanent ? code : .unexpectedReply
        return SMTPError(
            kind, code, phase: phase, reply: reply, recipients: recipients,
            detail: detail ?? "the server refused \(phase)")
    }
}

extension SMTPError {
    /// The same error attributed to `phase`.
    func inPhase(_ phase: SMTPPhase) -> SMTPError {
        SMTPError(
            kind, code, phase: phase, reply: reply, recipients: recipients, field: field, detail: detail,
            foundDead: connectionFoundDead)
    }

    /// The same error with another kind, e.g. ambiguous once the end of data went out.
    func withKind(_ kind: Kind) -> SMTPError {
        SMTPError(
            kind, code, phase: phase, reply: reply, recipients: recipients, field: field, detail: detail,
            foundDead: connectionFoundDead)
    }
}
