extension SMTPConnection {
    /// Sends `messages` one after another on this connection, each in its own transaction.
    ///
    /// With PIPELINING, each message's MAIL, RCPT and DATA go out in the same write as the
    /// previous message's content and end of data, so a message costs one round trip
    /// instead of two. A message whose send fails does not stop the others while the
    /// connection lives; once it breaks, the rest fail with
    /// ``SMTPError/connectionFoundDead`` set (their content was never written).
    ///
    /// - Returns: one result per message, in order.
    public func send(batch messages: [OutgoingMessage]) async -> [Result<SendReport, SMTPError>] {
        var results: [Result<SendReport, SMTPError>] = []
        var started: PreparedTransaction?
        for (index, message) in messages.enumerated() {
            guard isReusable || started != nil else {
                results.append(.failure(notSent()))
                continue
            }
            var next: PreparedTransaction?
            var following: FollowingEnvelope?
            if index + 1 < messages.count, canPipeline(after: message, messages[index + 1]),
                let prepared = try? prepareTransaction(messages[index + 1])
            {
                next = prepared
                following = FollowingEnvelope(bytes: prepared.commands.flatMap(\.bytes))
            }
            do {
                results.append(.success(try await send(message, started: started, following: following)))
            } catch {
                results.append(.failure(error))
            }
            started = following?.written == true && isReusable ? next : nil
        }
        return results
    }

    /// Whether `next`'s envelope may follow `message`'s end of data.
    private func canPipeline(after message: OutgoingMessage, _ next: OutgoingMessage) -> Bool {
        guard capabilities.pipelining, !message.recipientPolicy.isAllOrNothing else { return false }
        guard !next.recipientPolicy.isAllOrNothing else { return false }
        return inner.withLock { $0.machine.remainingMessages } >= 2
    }

    private func notSent() -> SMTPError {
        SMTPError(
            .notAccepted, .connectionClosed, phase: .mailFrom,
            detail: "the connection broke or reached its message limit earlier in the batch; this message was not sent",
            foundDead: true)
    }
}

/// A transaction whose state machine has started, and the commands of its first write.
struct PreparedTransaction {
    var transaction: TransactionStateMachine
    var commands: [SMTPCommand]
    let parameters: [String]
    let capabilities: SMTPCapabilities
}

/// The next message's envelope, written right after the current message's end of data.
final class FollowingEnvelope {
    let bytes: [UInt8]
    var written = false

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }
}
