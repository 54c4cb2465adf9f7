extension SMTPConnection {
    /// Sends `message` in one mail transaction.
    ///
    /// With PIPELINING, MAIL, every RCPT and DATA go out in one write and their replies are
    /// read in order; without it, one command at a time. Refused recipients are reported in
    /// the result unless ``OutgoingMessage/recipientPolicy`` is all-or-nothing.
    ///
    /// - Returns: the recipients' replies and the server's final reply.
    /// - Throws: ``SMTPError``: `ambiguous` when the end-of-data terminator went out and no
    ///   final reply came (timeout, cancellation, closed connection); otherwise `transient`,
    ///   `permanent` or `notAccepted` with the phase and reply.
    public func send(_ message: OutgoingMessage) async throws(SMTPError) -> SendReport {
        try await send(message, started: nil, following: nil)
    }

    /// Sends `message`, its envelope already written when `started` is set, and writes
    /// `following` (the next message's envelope) right after its end of data.
    func send(_ message: OutgoingMessage, started: PreparedTransaction?, following: FollowingEnvelope?)
        async throws(SMTPError) -> SendReport
    {
        let start = ContinuousClock.now
        let limit = start.advanced(by: configuration.timeouts.message)
        do {
            let report = try await transact(message, limit: limit, started: started, following: following)
            delegate.smtpEvent(
                .messageAccepted(
                    messageID: message.messageID, recipients: report.accepted.count, duration: .now - start))
            return report
        } catch {
            delegate.smtpEvent(
                .messageFailed(messageID: message.messageID, kind: error.kind, code: error.code, phase: error.phase))
            throw error
        }
    }

    private func transact(
        _ message: OutgoingMessage, limit: ContinuousClock.Instant, started: PreparedTransaction?,
        following: FollowingEnvelope?
    ) async throws(SMTPError) -> SendReport {
        if Task.isCancelled {
            throw SMTPError(.notAccepted, .cancelled, phase: .validation, detail: "the task was cancelled")
        }
        var prepared: PreparedTransaction
        if let started {
            // The envelope went out behind the previous message's end of data.
            let action = inner.withLock { $0.machine.sendRequested(at: .now) }
            if case .unusable(let reason) = action {
                preconditionFailure("a pipelined envelope was written on a connection that is \(reason)")
            }
            prepared = started
            prepared.commands = []
        } else {
            try await prepare(limit: limit)
            do {
                prepared = try prepareTransaction(message)
            } catch {
                inner.withLock { $0.machine.transactionEnded(at: .now, counted: false, needsReset: false) }
                throw error
            }
        }
        var firstReplyPending = started == nil
        do {
            return try await run(&prepared, message, limit: limit, following: following) {
                firstReplyPending = false
            }
        } catch {
            throw failed(error, transaction: prepared.transaction, beforeFirstReply: firstReplyPending)
        }
    }

    /// The transaction for `message` started, with its first commands; no I/O.
    func prepareTransaction(_ message: OutgoingMessage) throws(SMTPError) -> PreparedTransaction {
        guard !message.recipients.isEmpty else { throw SMTPError.invalid("recipients", "the message has no recipient") }
        let capabilities = self.capabilities
        let parameters = try message.mailParameters(for: capabilities)
        var transaction = TransactionStateMachine(
            recipients: message.recipients, pipelined: capabilities.pipelining, policy: message.recipientPolicy)
        let commands = transaction.start().map { command(for: $0, message, parameters, capabilities) }
        return PreparedTransaction(
            transaction: transaction, commands: commands, parameters: parameters, capabilities: capabilities)
    }

    /// Checks or resets the connection as its state machine asks before a transaction.
    private func prepare(limit: ContinuousClock.Instant) async throws(SMTPError) {
        let action = inner.withLock { $0.machine.sendRequested(at: .now) }
        let probe: SMTPCommand
        switch action {
        case .proceed: return
        case .resetFirst: probe = .reset
        case .checkFirst: probe = .noop
        case .unusable(let reason):
            throw SMTPError(
                .notAccepted, .connectionClosed, phase: .mailFrom, detail: "the connection cannot be used: \(reason)",
                foundDead: true)
        }
        do throws(SMTPError) {
            let reply = try await exchange(probe, timeout: configuration.timeouts.command, within: limit)
            guard reply.isPositive else { throw SMTPError.rejected(reply, phase: probe.phase) }
        } catch {
            fail("\(probe.verb) failed")
            throw SMTPError(
                .notAccepted, .connectionClosed, phase: probe.phase, reply: error.reply,
                detail: "the idle connection failed its \(probe.verb): \(error.detail)", foundDead: true)
        }
    }

    private func command(
        for write: TransactionStateMachine.FirstWrite, _ message: OutgoingMessage, _ parameters: [String],
        _ capabilities: SMTPCapabilities
    ) -> SMTPCommand {
        switch write {
        case .mailFrom: return .mailFrom(message.sender, parameters: parameters)
        case .recipient(let index):
            let recipient = message.recipients[index]
            return .recipient(
                recipient, parameters: message.recipientParameters(for: recipient, capabilities: capabilities))
        case .data: return .data
        }
    }

    /// Writes the prepared commands and drives the transaction until it finishes or fails.
    private func run(
        _ prepared: inout PreparedTransaction, _ message: OutgoingMessage, limit: ContinuousClock.Instant,
        following: FollowingEnvelope?, firstReply: () -> Void
    ) async throws(SMTPError) -> SendReport {
        var pending = prepared.commands
        while true {
            var sent = ContinuousClock.now
            if !pending.isEmpty {
                let deadline = Self.deadline(configuration.timeouts.command, within: limit)
                try await write(pending.flatMap(\.bytes), phase: pending[0].phase, deadline: deadline)
                for command in pending { delegate.smtpEvent(.commandSent(verb: command.verb)) }
                pending = []
                sent = .now
            }
            let phase = prepared.transaction.awaitedPhase
            let timeout = phase == .data ? configuration.timeouts.dataInitiation : configuration.timeouts.command
            let reply = try await readReply(phase: phase, deadline: Self.deadline(timeout, within: limit), since: sent)
            if reply.code == 421 { throw SMTPError.rejected(reply, phase: phase, detail: "the server is closing") }
            if reply.code == 221 {
                throw SMTPError(
                    .notAccepted, .connectionClosed, phase: phase, reply: reply,
                    detail: "the server said goodbye instead of answering")
            }
            firstReply()
            switch prepared.transaction.replyReceived(reply, messageID: message.messageID) {
            case .awaitReply: continue
            case .write(let next):
                pending = [command(for: next, message, prepared.parameters, prepared.capabilities)]
            case .sendContent:
                let content = ContentEncoding.dotStuffed(message.content)
                return try await finish(&prepared.transaction, content: content, message, limit, following)
            case .sendTerminatorOnly:
                _ = try await finish(&prepared.transaction, content: Array(".\r\n".utf8), message, limit, following)
                preconditionFailure("a transaction without accepted recipients finished as accepted")
            case .resetAndFail(let error):
                inner.withLock { $0.machine.transactionEnded(at: .now, counted: true, needsReset: true) }
                throw error
            case .fail(let error):
                inner.withLock { $0.machine.transactionEnded(at: .now, counted: true, needsReset: false) }
                throw error
            case .finished:
                preconditionFailure("a transaction finished before its content was written")
            }
        }
    }

    /// Writes the content (already dot-stuffed, with its terminator) and whatever follows it,
    /// then reads the final reply.
    private func finish(
        _ transaction: inout TransactionStateMachine, content: [UInt8], _ message: OutgoingMessage,
        _ limit: ContinuousClock.Instant, _ following: FollowingEnvelope?
    ) async throws(SMTPError) -> SendReport {
        transaction.contentWritten()
        let deadline = Self.deadline(configuration.timeouts.dataBlock, within: limit)
        try await write(content + (following?.bytes ?? []), phase: .content, deadline: deadline)
        following?.written = true
        let sent = ContinuousClock.now
        let replyDeadline = Self.deadline(configuration.timeouts.endOfData, within: limit)
        let reply = try await readReply(phase: .endOfData, deadline: replyDeadline, since: sent)
        switch transaction.replyReceived(reply, messageID: message.messageID) {
        case .finished(let report):
            inner.withLock { $0.machine.transactionEnded(at: .now, counted: true, needsReset: false) }
            return report
        case .fail(let error):
            if reply.code == 421 { throw error }
            inner.withLock { $0.machine.transactionEnded(at: .now, counted: true, needsReset: false) }
            throw error
        default:
            preconditionFailure("unexpected action after the end-of-data reply")
        }
    }

    /// Classifies a failure inside a transaction and retires the connection when it broke.
    private func failed(_ error: SMTPError, transaction: TransactionStateMachine, beforeFirstReply: Bool)
        -> SMTPError
    {
        let broken = error.reply == nil || [221, 421].contains(error.reply?.code) || error.code == .malformedReply
        guard broken else { return error }
        fail("\(error.code) in \(error.phase)")
        if transaction.endOfDataInFlight && error.reply == nil {
            return SMTPError(
                .ambiguous, error.code, phase: .endOfData, recipients: transaction.recipientResults,
                detail: "the end of data was sent and no final reply came (\(error.detail)); the server may have "
                    + "accepted the message")
        }
        let dead = beforeFirstReply && (error.code == .connectionClosed || error.reply?.code == 421)
        return SMTPError(
            error.kind, error.code, phase: error.phase, reply: error.reply, recipients: transaction.recipientResults,
            field: error.field, detail: error.detail, foundDead: dead)
    }
}
