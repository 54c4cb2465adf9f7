/// Something that happened in an SMTP session, for logs and metrics.
///
/// Events carry verbs, reply codes, phases and timings; never a credential, a command
/// argument or message content.
public enum SMTPEvent: Sendable {
    /// TCP is up (and implicit TLS, when used).
    case connected(host: String, port: Int, duration: Duration)
    /// The server's greeting arrived.
    case greeted(code: Int, duration: Duration)
    /// STARTTLS (or implicit TLS) completed.
    case tlsEstablished(duration: Duration)
    /// AUTH succeeded with `mechanism`.
    case authenticated(mechanism: String, duration: Duration)
    /// A command went out; `verb` is its first word (`MAIL`, `RCPT`, `AUTH`, ...).
    case commandSent(verb: String)
    /// A reply arrived in `phase`, `duration` after the command that it answers was written.
    case replyReceived(phase: SMTPPhase, code: Int, enhancedCode: EnhancedStatusCode?, duration: Duration)
    /// A message was accepted.
    case messageAccepted(messageID: String?, recipients: Int, duration: Duration)
    /// A message failed.
    case messageFailed(messageID: String?, kind: SMTPError.Kind, code: SMTPError.Code, phase: SMTPPhase)
    /// A reused connection was found dead before a transaction and is being replaced.
    case connectionReplaced(reason: String)
    /// The connection closed; `reason` is a short fixed phrase.
    case closed(reason: String)
}

/// Receives ``SMTPEvent``s. Called synchronously on the sending task: return quickly.
public protocol SMTPEventDelegate: Sendable {
    /// Handles one event.
    func smtpEvent(_ event: SMTPEvent)
}

/// A delegate that drops every event.
struct NoEventDelegate: SMTPEventDelegate {
    func smtpEvent(_ event: SMTPEvent) {}
}
