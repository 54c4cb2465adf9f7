import TetherPool
import TetherSMTP

/// Delivers requests through a ``ConnectionPool`` of SMTP sessions and classifies every way a
/// send can end into a ``DeliveryReport``.
public final class SMTPTransport: MailTransport {
    /// The pool of sessions to the relay; SIGHUP swaps it to new relay settings.
    public let pool: ConnectionPool<SMTPSessionFactory>

    /// A transport sending through `pool`.
    public init(pool: ConnectionPool<SMTPSessionFactory>) {
        self.pool = pool
    }

    public func deliver(_ request: SendRequest, messageID: String) async -> DeliveryReport {
        let message: OutgoingMessage
        do {
            message = try MessageFactory.outgoingMessage(for: request, messageID: messageID)
        } catch {
            return DeliveryReport(verdict: .badMessage, detail: "\(error)")
        }
        if Task.isCancelled { return DeliveryReport(verdict: .notStarted, detail: "cancelled before sending") }
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

    /// Sorts a failed send: see ``OutcomeClassifier`` for what each verdict leads to.
    // Not yet: a relay that cannot be reached (or refuses our login) is charged to each message as a
    // transient failure, so an outage of a few backoff periods fails the queue; it should pause claiming instead.
    static func classify(_ error: any Error, latency: Duration) -> DeliveryReport {
        if let error = error as? ConnectionPoolError {
            if let underlying = error.underlying, !(underlying is ConnectionPoolError) {
                return classify(underlying, latency: latency)
            }
            if error.code == .shutdown { return DeliveryReport(verdict: .notStarted, detail: "\(error)") }
            if error.code == .outcomeUnknown { return DeliveryReport(verdict: .ambiguous, detail: "\(error)") }
            return DeliveryReport(verdict: .transient(hint: nil), detail: "\(error)")
        }
        guard let error = error as? SMTPError else {
            let verdict: DeliveryReport.Verdict = error is CancellationError ? .notStarted : .transient(hint: nil)
            return DeliveryReport(verdict: verdict, detail: "\(error)")
        }
        let recipients = error.recipients.map(recipientResult)
        let verdict = verdict(of: error)
        return DeliveryReport(
            verdict: verdict, code: error.replyCode, enhancedCode: error.enhancedCode?.description,
            detail: error.description, recipients: recipients,
            latency: verdict == .ambiguous || error.reply != nil ? latency : nil)
    }

    private static func verdict(of error: SMTPError) -> DeliveryReport.Verdict {
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
