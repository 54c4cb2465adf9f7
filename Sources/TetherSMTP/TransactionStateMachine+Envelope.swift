extension TransactionStateMachine {
    /// A reply to MAIL, RCPT or DATA, matched against the oldest command still awaited.
    mutating func envelopeReply(_ reply: SMTPReply) -> ReplyAction {
        guard nextAwaited < awaited.count else { preconditionFailure("reply \(reply.code) with no command awaited") }
        let command = awaited[nextAwaited]
        nextAwaited += 1
        switch command {
        case .mailFrom: mailReply = reply
        case .recipient(let index): results.append(RecipientResult(recipient: recipients[index], reply: reply))
        case .data: dataReply = reply
        }
        if nextAwaited < awaited.count { return .awaitReply }
        return pipelined ? afterPipelinedGroup() : afterSingleCommand(command)
    }

    private mutating func afterSingleCommand(_ command: Awaited) -> ReplyAction {
        switch command {
        case .mailFrom:
            if let failure = mailFailure { return finish(.resetAndFail(failure)) }
            return .write(expect([.recipient(0)])[0])
        case .recipient(let index):
            if index + 1 < recipients.count { return .write(expect([.recipient(index + 1)])[0]) }
            if let failure = recipientFailure { return finish(.resetAndFail(failure)) }
            return .write(expect([.data])[0])
        case .data:
            return afterDataReply()
        }
    }

    private mutating func afterPipelinedGroup() -> ReplyAction {
        if dataReply != nil { return afterDataReply() }
        // All-or-nothing holds DATA back until every RCPT is known to be accepted.
        if let failure = mailFailure ?? recipientFailure { return finish(.resetAndFail(failure)) }
        return .write(expect([.data])[0])
    }

    private mutating func afterDataReply() -> ReplyAction {
        guard let dataReply else { preconditionFailure("afterDataReply() without a DATA reply") }
        let failure = mailFailure ?? recipientFailure
        if dataReply.code == 354 {
            state = .content
            guard let failure else { return .sendContent }
            state = .emptyEndOfData(failure)
            return .sendTerminatorOnly
        }
        if let failure { return finish(.resetAndFail(failure)) }
        return finish(.resetAndFail(.rejected(dataReply, phase: .data, recipients: results)))
    }

    private var mailFailure: SMTPError? {
        guard let mailReply, !mailReply.isPositive else { return nil }
        return .rejected(mailReply, phase: .mailFrom)
    }

    /// A failure when no recipient was accepted, or any was refused under all-or-nothing.
    private var recipientFailure: SMTPError? {
        let refused = results.filter { !$0.isAccepted }
        guard !refused.isEmpty, allOrNothing || refused.count == recipients.count else { return nil }
        let transient = refused.contains { $0.reply.isTransient }
        let detail =
            allOrNothing
            ? "\(refused.count) of \(recipients.count) recipients were refused (all-or-nothing)"
            : "every recipient was refused"
        return SMTPError(
            transient ? .transient : .permanent, .recipientsRejected, phase: .recipient, reply: refused.first?.reply,
            recipients: results, detail: detail)
    }

    private mutating func finish(_ action: ReplyAction) -> ReplyAction {
        state = .finished
        return action
    }
}
