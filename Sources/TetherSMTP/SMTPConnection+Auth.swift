import Foundation

extension SMTPConnection {
    func authenticate(limit: ContinuousClock.Instant) async throws(SMTPError) {
        guard let credentials = configuration.credentials else { return }
        guard stream.isSecure || (configuration.allowPlaintextAuthOnLoopback && stream.isLoopback) else {
            throw SMTPError(
                .notAccepted, .authenticationRequiresTLS, phase: .authentication,
                detail: "TLS is required for AUTH; no credential was sent over the plaintext connection")
        }
        if credentials.user.utf8.contains(where: EmailAddress.isControl) {
            throw SMTPError.controlCharacter(in: "credentials.user")
        }
        if credentials.secret.utf8.contains(where: EmailAddress.isControl) {
            throw SMTPError.controlCharacter(in: "credentials secret")
        }
        let start = ContinuousClock.now
        let offered = capabilities.authenticationMechanisms
        let mechanism: String
        let reply: SMTPReply
        switch credentials.mechanism {
        case .oauth2 where offered.contains("XOAUTH2"):
            mechanism = "XOAUTH2"
            let token = "user=\(credentials.user)\u{1}auth=Bearer \(credentials.secret)\u{1}\u{1}"
            reply = try await authStep(.auth(mechanism: mechanism, initialResponse: Self.base64(token)), limit: limit)
        case .password where offered.contains("PLAIN"):
            mechanism = "PLAIN"
            let response = Self.base64("\u{0}\(credentials.user)\u{0}\(credentials.secret)")
            reply = try await authStep(.auth(mechanism: mechanism, initialResponse: response), limit: limit)
        case .password where offered.contains("LOGIN"):
            mechanism = "LOGIN"
            reply = try await login(credentials, limit: limit)
        default:
            throw SMTPError(
                .notAccepted, .authenticationUnavailable, phase: .authentication,
                detail: "the server offers AUTH \(offered.sorted().joined(separator: " ")), none usable")
        }
        guard reply.code == 235 else {
            let code: SMTPError.Code = reply.isPermanent ? .authenticationFailed : .rejected
            throw SMTPError.rejected(reply, phase: .authentication, code: code, detail: "AUTH \(mechanism) was refused")
        }
        delegate.smtpEvent(.authenticated(mechanism: mechanism, duration: .now - start))
    }

    private func login(_ credentials: SMTPCredentials, limit: ContinuousClock.Instant) async throws(SMTPError)
        -> SMTPReply
    {
        var reply = try await authStep(.auth(mechanism: "LOGIN", initialResponse: nil), limit: limit)
        guard reply.code == 334 else { return reply }
        reply = try await authStep(.authResponse(Self.base64(credentials.user)), limit: limit)
        guard reply.code == 334 else { return reply }
        return try await authStep(.authResponse(Self.base64(credentials.secret)), limit: limit)
    }

    /// One AUTH exchange. A 334 challenge to XOAUTH2 or PLAIN carries an error: an empty
    /// response makes the server send its final reply.
    private func authStep(_ command: SMTPCommand, limit: ContinuousClock.Instant) async throws(SMTPError)
        -> SMTPReply
    {
        let reply = try await exchange(command, timeout: configuration.timeouts.command, within: limit)
        if reply.code == 334, case .auth(let mechanism, let initial) = command, initial != nil, mechanism != "LOGIN" {
            return try await exchange(.authResponse(""), timeout: configuration.timeouts.command, within: limit)
        }
        return reply
    }

    private static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }
}
