import CTetherSystem
import Glibc

extension TCPStream {
    /// Upgrades the plaintext stream to TLS in place (STARTTLS), verifying the peer as `serverName`.
    ///
    /// Call it after reading the server's go-ahead and nothing more: a byte already waiting on the
    /// socket can only have been sent by someone in the middle, so it fails the upgrade.
    ///
    /// - Parameters:
    ///   - configuration: How the peer is verified and what the client presents.
    ///   - serverName: The name the certificate must carry (a host name, sent as SNI, or an IP
    ///     literal, matched against IP addresses in the certificate). `nil` means ``host``.
    ///   - deadline: When the handshake gives up.
    /// - Throws: ``NetworkError`` in phase `.tlsHandshake`: `.bytesBeforeTLS`, `.tlsFailure` with
    ///   OpenSSL's reason (for example `certificate verify failed: hostname mismatch`), `.timedOut`;
    ///   or `CancellationError`. The stream is closed after any throw.
    public func startTLS(_ configuration: TLSConfiguration, serverName: String?, deadline: ContinuousClock.Instant)
        async throws
    {
        let context: TLSContext
        do {
            context = try TLSContext.shared(for: configuration)
        } catch {
            close()
            throw error
        }
        try await perform(.tlsHandshake, deadline: deadline) { core throws(NetworkError) -> Step<Void> in
            if core.session == nil {
                guard core.isSecure == false else {
                    throw NetworkError(.invalidArgument, .tlsHandshake, detail: "the stream already runs TLS")
                }
                try Self.requireNothingBuffered(core.descriptor)
                core.session = try TLSSession(
                    context: context, descriptor: core.descriptor, peerName: serverName ?? host)
            }
            guard let session = core.session else { preconditionFailure("TCPStream: TLS session vanished") }
            let step = try session.handshake()
            if case .done = step {
                core.isSecure = true
            }
            return step
        }
    }

    /// How long ``shutdown(deadline:)`` waits at most for the peer's close-notify.
    public static let closeNotifyTimeout: Duration = .milliseconds(500)

    /// Ends a TLS stream cleanly: sends close-notify, waits for the peer's, then closes.
    ///
    /// The exchange ends by `deadline` or after ``closeNotifyTimeout``, whichever comes first;
    /// a peer that does not answer only delays the close by that much. A plaintext stream is
    /// closed at once. Never throws: the stream is closed when this returns.
    public func shutdown(deadline: ContinuousClock.Instant) async {
        let bound = min(deadline, .now + Self.closeNotifyTimeout)
        if isSecure {
            _ = try? await perform(.write, deadline: bound) { core throws(NetworkError) -> Step<Void> in
                guard let session = core.session else { return .done(()) }
                return session.shutdown()
            }
        }
        close()
    }

    /// Throws ``NetworkError/Code/bytesBeforeTLS`` when the kernel already holds bytes from the peer.
    private static func requireNothingBuffered(_ descriptor: Int32) throws(NetworkError) {
        var byte: UInt8 = 0
        let peeked = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if peeked > 0 {
            throw NetworkError(.bytesBeforeTLS, .tlsHandshake, detail: "the peer sent data right after its go-ahead")
        }
    }
}
