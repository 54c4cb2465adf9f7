import Synchronization
import TetherLocking
import TetherPool
import TetherSMTP

/// Delivers requests through a ``ConnectionPool`` of SMTP sessions and classifies every way a
/// send can end into a ``DeliveryReport``.
public final class SMTPTransport: MailTransport {
    /// The pool of sessions to the relay; SIGHUP swaps it to new relay settings.
    public let pool: ConnectionPool<SMTPSessionFactory>
    /// The relay settings probes connect with: the pool's current target.
    private let target: Locked<SMTPConfiguration>

    /// A transport sending through `pool`, whose target is `target`.
    public init(pool: ConnectionPool<SMTPSessionFactory>, target: SMTPConfiguration) {
        self.pool = pool
        self.target = Locked(target)
    }

    /// Swaps the pool to `target` (SIGHUP) and probes with it from now on.
    public func swap(to target: SMTPConfiguration) async -> SwapReport {
        self.target.withLock { $0 = target }
        return await pool.swap(to: target)
    }

    public func probe() async -> String? {
        let target = self.target.withLock { $0 }
        do {
            let connection = try await pool.factory.makeConnection(
                to: target, timeout: pool.configuration.connectTimeout)
            await pool.factory.close(connection)
            return nil
        } catch {
            return "\(error)"
        }
    }

    public func deliver(_ request: SendRequest, messageID: String) async -> DeliveryReport {
        let message: OutgoingMessage
        do {
            message = try MessageFactory.outgoingMessage(for: request, messageID: messageID)
        } catch {
            return DeliveryReport(verdict: .badMessage, detail: "\(error)")
        }
        if Task.isCancelled {
            return DeliveryReport(verdict: .notStarted, detail: "cancelled by shutdown before sending")
        }
        let start = ContinuousClock.now
        do {
            let report = try await pool.withConnection { connection in try await connection.send(message) }
            return Self.accepted(report, latency: .now - start)
        } catch {
            return Self.classify(error, latency: .now - start)
        }
    }

    static func accepted(_ report: SendReport, latency: Duration) -> DeliveryReport {
        DeliveryReport(
            verdict: .accepted, code: report.finalReply.code,
            enhancedCode: report.finalReply.enhancedCode?.description, detail: report.finalReply.text,
            recipients: (report.accepted + report.rejected).map(recipientResult), latency: latency)
    }

    /// Sorts a failed send: see ``OutcomeClassifier`` for what each verdict leads to. A pool that
    /// could make no connection, or waited past its acquire timeout, says nothing about the
    /// message: the relay is unavailable.
    static func classify(_ error: any Error, latency: Duration) -> DeliveryReport {
        if let error = error as? ConnectionPoolError {
            if let underlying = error.underlying, !(underlying is ConnectionPoolError) {
                return classify(underlying, latency: latency)
            }
            if error.code == .shutdown {
                return DeliveryReport(
                    verdict: .notStarted, detail: "the relay pool shut down before the message was sent")
            }
            if error.code == .outcomeUnknown { return DeliveryReport(verdict: .ambiguous, detail: "\(error)") }
            if error.code == .connectFailed || error.code == .acquireTimeout {
                return DeliveryReport(verdict: .relayUnavailable, detail: "\(error)")
            }
            return DeliveryReport(verdict: .transient(hint: nil), detail: "\(error)")
        }
        guard let error = error as? SMTPError else {
            if error is CancellationError {
                return DeliveryReport(verdict: .notStarted, detail: "cancelled by shutdown before the message was sent")
            }
            return DeliveryReport(verdict: .transient(hint: nil), detail: "\(error)")
        }
        let recipients = error.recipients.map(recipientResult)
        let verdict = verdict(of: error)
        return DeliveryReport(
            verdict: verdict, code: error.replyCode, enhancedCode: error.enhancedCode?.description,
            detail: error.description, recipients: recipients,
            latency: verdict == .ambiguous || error.reply != nil ? latency : nil)
    }

    /// Phases before this message's MAIL FROM: a failure there is the relay's, not the message's.
    private static let sessionPhases: Set<SMTPPhase> = [
        .connect, .greeting, .hello, .tls, .authentication, .reset, .noop,
    ]

    /// Causes that are the relay's or its settings', whatever the phase.
    private static let sessionCodes: Set<SMTPError.Code> = [
        .connectionFailed, .tlsRequired, .tlsFailed, .bytesBeforeTLS, .authenticationRequiresTLS,
        .authenticationUnavailable, .authenticationFailed,
    ]

    /// A failure while making the session, or a session that died without a reply before this
    /// message's first reply, is the relay's; a reply to MAIL FROM or later (a 421 with "try
    /// again in 60 seconds" included) is about this message and keeps its hint. Once the end of
    /// data went out the outcome is unknown whatever broke (a TLS failure included): the relay
    /// may have the message, so it is never handed back to be sent again.
    private static func verdict(of error: SMTPError) -> DeliveryReport.Verdict {
        if error.kind == .ambiguous { return .ambiguous }
        if error.code != .invalidInput, error.code != .controlCharacter,
            sessionPhases.contains(error.phase) || sessionCodes.contains(error.code)
                || (error.connectionFoundDead && error.reply == nil)
        {
            return .relayUnavailable
        }
        switch error.kind {
        case .ambiguous: return .ambiguous
        case .permanent: return .permanent
        case .transient: return .transient(hint: error.reply?.statedRetryDelay)
        default: break
        }
        switch error.code {
        case .cancelled: return .notStarted
        case .invalidInput, .controlCharacter: return .badMessage
        case .messageTooLarge, .extensionUnavailable, .recipientsRejected: return .permanent
        default: return .transient(hint: nil)
        }
    }

    private static func recipientResult(_ result: TetherSMTP.RecipientResult) -> RecipientResult {
        RecipientResult(
            address: result.recipient.address, accepted: result.isAccepted, code: result.reply.code,
            enhancedCode: result.reply.enhancedCode?.description, text: result.reply.text)
    }
}
