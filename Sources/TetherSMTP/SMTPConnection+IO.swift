import TetherNet

extension SMTPConnection {
    /// The earlier of `now + timeout` and `limit`.
    static func deadline(_ timeout: Duration, within limit: ContinuousClock.Instant?) -> ContinuousClock.Instant {
        let phase = ContinuousClock.now.advanced(by: timeout)
        guard let limit else { return phase }
        return min(phase, limit)
    }

    /// Writes `command` and reports it (its verb only).
    func write(_ command: SMTPCommand, deadline: ContinuousClock.Instant) async throws(SMTPError) {
        try await write(command.bytes, phase: command.phase, deadline: deadline)
        delegate.smtpEvent(.commandSent(verb: command.verb))
    }

    /// Writes `bytes`, mapping stream failures to ``SMTPError``.
    func write(_ bytes: [UInt8], phase: SMTPPhase, deadline: ContinuousClock.Instant) async throws(SMTPError) {
        do {
            try await stream.write(bytes, deadline: deadline)
        } catch {
            throw Self.streamFailure(error, phase: phase, deadline: deadline)
        }
    }

    /// Reads until a complete reply is parsed, and reports it.
    func readReply(phase: SMTPPhase, deadline: ContinuousClock.Instant, since start: ContinuousClock.Instant)
        async throws(SMTPError) -> SMTPReply
    {
        while true {
            let parsed: SMTPReply?
            do {
                parsed = try inner.withLock { inner throws(SMTPError) in try inner.parser.nextReply() }
            } catch {
                throw error.inPhase(phase)
            }
            if let reply = parsed {
                let duration = ContinuousClock.now - start
                delegate.smtpEvent(
                    .replyReceived(phase: phase, code: reply.code, enhancedCode: reply.enhancedCode, duration: duration)
                )
                return reply
            }
            let bytes: [UInt8]
            do {
                bytes = try await stream.read(maximumCount: 4096, deadline: deadline)
            } catch {
                throw Self.streamFailure(error, phase: phase, deadline: deadline)
            }
            guard !bytes.isEmpty else {
                throw SMTPError(
                    .notAccepted, .connectionClosed, phase: phase, detail: "the server closed the connection")
            }
            inner.withLock { $0.parser.feed(bytes) }
        }
    }

    /// Writes `command` and reads its reply.
    func exchange(_ command: SMTPCommand, timeout: Duration, within limit: ContinuousClock.Instant? = nil)
        async throws(SMTPError) -> SMTPReply
    {
        let deadline = Self.deadline(timeout, within: limit)
        let start = ContinuousClock.now
        try await write(command, deadline: deadline)
        return try await readReply(phase: command.phase, deadline: deadline, since: start)
    }

    /// A stream error as an ``SMTPError``: a timeout when the deadline has passed, a
    /// cancellation when the task was cancelled, a closed connection otherwise.
    static func streamFailure(_ error: any Error, phase: SMTPPhase, deadline: ContinuousClock.Instant) -> SMTPError {
        if let error = error as? SMTPError { return error.inPhase(phase) }
        if error is CancellationError || Task.isCancelled {
            return SMTPError(.notAccepted, .cancelled, phase: phase, detail: "the task was cancelled")
        }
        if let error = error as? NetworkError {
            let code: SMTPError.Code
            switch error.code {
            case .timedOut: code = .timedOut
            case .bytesBeforeTLS: code = .bytesBeforeTLS
            case .tlsFailure: code = .tlsFailed
            case .connectionRefused, .resolutionFailed: code = .connectionFailed
            default: code = .connectionClosed
            }
            return SMTPError(.notAccepted, code, phase: phase, detail: "\(error)")
        }
        if ContinuousClock.now >= deadline {
            return SMTPError(.notAccepted, .timedOut, phase: phase, detail: "the \(phase) deadline passed")
        }
        return SMTPError(.notAccepted, .connectionClosed, phase: phase, detail: "the connection failed: \(error)")
    }
}

extension SMTPCommand {
    /// The first word of the command, safe for events.
    var verb: String {
        switch self {
        case .hello(let extended, _): return extended ? "EHLO" : "HELO"
        case .startTLS: return "STARTTLS"
        case .auth, .authResponse: return "AUTH"
        case .mailFrom: return "MAIL"
        case .recipient: return "RCPT"
        case .data: return "DATA"
        case .reset: return "RSET"
        case .noop: return "NOOP"
        case .quit: return "QUIT"
        }
    }
}
