import Foundation
import TetherNet

extension SMTPConnection {
    func handshake(limit: ContinuousClock.Instant) async throws(SMTPError) {
        let start = ContinuousClock.now
        let greeting = try await readReply(
            phase: .greeting, deadline: Self.deadline(configuration.timeouts.greeting, within: limit), since: start)
        guard greeting.code == 220 else { throw SMTPError.rejected(greeting, phase: .greeting) }
        delegate.smtpEvent(.greeted(code: greeting.code, duration: .now - start))
        try await hello(limit: limit)
        try await startTLSIfWanted(limit: limit)
        try await authenticate(limit: limit)
    }

    private func hello(limit: ContinuousClock.Instant) async throws(SMTPError) {
        let timeout = configuration.timeouts.command
        let reply = try await exchange(
            .hello(extended: true, name: configuration.heloName), timeout: timeout, within: limit)
        if reply.isPositive {
            inner.withLock { $0.capabilities = SMTPCapabilities(ehloReply: reply) }
            return
        }
        guard [500, 501, 502, 504, 550].contains(reply.code) else { throw SMTPError.rejected(reply, phase: .hello) }
        let fallback = try await exchange(
            .hello(extended: false, name: configuration.heloName), timeout: timeout, within: limit)
        guard fallback.isPositive else { throw SMTPError.rejected(fallback, phase: .hello) }
        inner.withLock { $0.capabilities = SMTPCapabilities() }
    }

    private func startTLSIfWanted(limit: ContinuousClock.Instant) async throws(SMTPError) {
        let tls: TLSConfiguration
        let required: Bool
        switch configuration.tls {
        case .none, .implicit: return
        case .required(let configuration): (tls, required) = (configuration, true)
        case .opportunistic(let configuration): (tls, required) = (configuration, false)
        }
        guard capabilities.startTLS else {
            guard !required else {
                throw SMTPError(.notAccepted, .tlsRequired, phase: .tls, detail: "the server does not offer STARTTLS")
            }
            return
        }
        let start = ContinuousClock.now
        let reply = try await exchange(.startTLS, timeout: configuration.timeouts.command, within: limit)
        guard reply.code == 220 else {
            if required { throw SMTPError.rejected(reply, phase: .tls, code: .tlsFailed) }
            return
        }
        try await upgrade(tls, limit: limit)
        delegate.smtpEvent(.tlsEstablished(duration: .now - start))
        try await hello(limit: limit)
    }

    private func upgrade(_ tls: TLSConfiguration, limit: ContinuousClock.Instant) async throws(SMTPError) {
        if inner.withLock({ $0.parser.hasBufferedBytes }) {
            throw SMTPError(
                .notAccepted, .bytesBeforeTLS, phase: .tls,
                detail: "bytes followed the STARTTLS reply before the handshake; the session is abandoned")
        }
        let deadline = Self.deadline(configuration.timeouts.tlsHandshake, within: limit)
        do {
            try await stream.startTLS(
                tls, serverName: configuration.serverName ?? configuration.host, deadline: deadline)
        } catch {
            let failure = Self.streamFailure(error, phase: .tls, deadline: deadline)
            guard failure.code == .connectionClosed else { throw failure }
            throw SMTPError(.notAccepted, .tlsFailed, phase: .tls, detail: "the TLS handshake failed: \(error)")
        }
        inner.withLock { $0.capabilities = SMTPCapabilities() }
    }
}
