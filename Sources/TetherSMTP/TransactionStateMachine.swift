/// One mail transaction as a state machine: which reply belongs to which command, and what
/// to write next. No I/O; the connection feeds it replies and performs its actions.
///
/// States move `envelope -> content -> endOfData -> finished`, or to `finished` from any
/// state on a refusal. With PIPELINING the envelope commands go out in one write and their
/// replies are matched in order against the queue of what was sent.
struct TransactionStateMachine {
    enum Awaited {
        case mailFrom
        case recipient(Int)
        case data
    }

    enum State {
        case envelope
        case content
        case endOfData
        /// DATA was answered 354 although no recipient was accepted: an empty body ends it.
        case emptyEndOfData(SMTPError)
        case finished
    }

    let recipients: [EmailAddress]
    let pipelined: Bool
    let allOrNothing: Bool
    var state: State = .envelope
    var awaited: [Awaited] = []
    var nextAwaited = 0
    var mailReply: SMTPReply?
    var results: [RecipientResult] = []
    var dataReply: SMTPReply?

    init(recipients: [EmailAddress], pipelined: Bool, policy: RecipientPolicy) {
        precondition(!recipients.isEmpty, "a transaction needs a recipient")
        self.recipients = recipients
        self.pipelined = pipelined
        self.allOrNothing = policy.isAllOrNothing
    }

    /// The command kinds the first write carries, in order.
    enum FirstWrite {
        case mailFrom
        case recipient(Int)
        case data
    }

    /// Starts the transaction: with PIPELINING, MAIL, every RCPT and (unless all-or-nothing)
    /// DATA; without it, MAIL alone.
    mutating func start() -> [FirstWrite] {
        guard case .envelope = state, awaited.isEmpty else { preconditionFailure("start() in state \(state)") }
        guard pipelined else { return expect([.mailFrom]) }
        let envelope: [Awaited] = [.mailFrom] + recipients.indices.map { .recipient($0) }
        return expect(allOrNothing ? envelope : envelope + [.data])
    }

    /// What the connection does after a reply.
    enum ReplyAction {
        /// More replies of this write are due.
        case awaitReply
        /// Write the next command (one at a time without PIPELINING).
        case write(FirstWrite)
        /// DATA got 354: write the dot-stuffed content and terminator.
        case sendContent
        /// DATA got 354 but no recipient was accepted: write the terminator alone, then fail.
        case sendTerminatorOnly
        /// The transaction failed and is still open: RSET, then report the error.
        case resetAndFail(SMTPError)
        /// The transaction is over and failed; no RSET is needed.
        case fail(SMTPError)
        /// The server accepted the message.
        case finished(SendReport)
    }

    /// Feeds the next reply the server sent.
    mutating func replyReceived(_ reply: SMTPReply, messageID: String?) -> ReplyAction {
        switch state {
        case .envelope:
            return envelopeReply(reply)
        case .endOfData:
            state = .finished
            guard reply.isPositive else { return .fail(.rejected(reply, phase: .endOfData, recipients: results)) }
            let accepted = results.filter(\.isAccepted)
            let rejected = results.filter { !$0.isAccepted }
            return .finished(
                SendReport(accepted: accepted, rejected: rejected, finalReply: reply, messageID: messageID))
        case .emptyEndOfData(let error):
            state = .finished
            return .fail(error)
        case .content, .finished:
            preconditionFailure("reply \(reply.code) in state \(state)")
        }
    }

    /// The content (or the lone terminator) is being written; its reply is awaited next.
    mutating func contentWritten() {
        switch state {
        case .content: state = .endOfData
        case .emptyEndOfData: break
        case .envelope, .endOfData, .finished: preconditionFailure("contentWritten() in state \(state)")
        }
    }

    /// Whether the end-of-data terminator may have gone out, so a failure now is ambiguous.
    var endOfDataInFlight: Bool {
        if case .endOfData = state { return true }
        return false
    }

    /// The phase of the next reply due.
    var awaitedPhase: SMTPPhase {
        if case .endOfData = state { return .endOfData }
        guard nextAwaited < awaited.count else { return .mailFrom }
        switch awaited[nextAwaited] {
        case .mailFrom: return .mailFrom
        case .recipient: return .recipient
        case .data: return .data
        }
    }

    /// The replies to RCPT commands received so far.
    var recipientResults: [RecipientResult] { results }

    mutating func expect(_ commands: [Awaited]) -> [FirstWrite] {
        awaited.append(contentsOf: commands)
        return commands.map { command in
            switch command {
            case .mailFrom: return .mailFrom
            case .recipient(let index): return .recipient(index)
            case .data: return .data
            }
        }
    }
}
