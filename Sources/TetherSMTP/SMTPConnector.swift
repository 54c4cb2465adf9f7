import TetherNet

/// Opens the byte stream an SMTP session runs over.
///
/// ``tcp`` is the production connector; tests and users may supply their own, such as an
/// in-memory stream scripted step by step.
public struct SMTPConnector: Sendable {
    /// Opens a stream to `configuration`'s host and port by `deadline`, with TLS from the
    /// first byte when `implicitTLS` is set.
    public typealias Open =
        @Sendable (
            _ configuration: SMTPConfiguration, _ implicitTLS: TLSConfiguration?, _ deadline: ContinuousClock.Instant
        ) async throws -> any ByteStream

    let open: Open

    /// A connector that calls `open`.
    public init(_ open: @escaping Open) {
        self.open = open
    }

    /// Connects over TCP with ``TCPStream``, with TLS from the first byte for
    /// ``SMTPTLSPolicy/implicit(_:)``.
    public static let tcp = SMTPConnector { configuration, implicitTLS, deadline in
        try await TCPStream.connect(
            host: configuration.host, port: configuration.port, deadline: deadline, tls: implicitTLS,
            serverName: configuration.serverName)
    }
}

extension SMTPConnection {
    /// Opens a connection with `connector` and runs the handshake (greeting, EHLO, STARTTLS,
    /// AUTH), all within ``SMTPTimeouts/connect``.
    ///
    /// - Throws: ``SMTPError`` naming the phase that failed; nothing stays open.
    public static func connect(
        _ configuration: SMTPConfiguration, connector: SMTPConnector = .tcp, delegate: (any SMTPEventDelegate)? = nil
    ) async throws(SMTPError) -> SMTPConnection {
        try configuration.validate()
        let start = ContinuousClock.now
        let limit = start.advanced(by: configuration.timeouts.connect)
        var implicitTLS: TLSConfiguration?
        if case .implicit(let tls) = configuration.tls { implicitTLS = tls }
        let phase: SMTPPhase = implicitTLS == nil ? .connect : .tls
        let stream: any ByteStream
        do {
            stream = try await connector.open(configuration, implicitTLS, limit)
        } catch {
            var failure = streamFailure(error, phase: phase, deadline: limit)
            if failure.code == .connectionClosed || failure.code == .connectionFailed {
                failure = SMTPError(
                    .notAccepted, .connectionFailed, phase: phase,
                    detail: "could not connect to \(configuration.host):\(configuration.port): \(error)")
            }
            throw failure
        }
        delegate?.smtpEvent(.connected(host: configuration.host, port: configuration.port, duration: .now - start))
        return try await establish(over: stream, configuration: configuration, delegate: delegate, startedAt: start)
    }
}
