import Synchronization
import TetherLocking
import TetherNet

/// One SMTP session: greeted, upgraded to TLS and authenticated as configured, ready to
/// send messages one after another.
///
/// ```swift
/// let connection = try await SMTPConnection.connect(configuration)
/// let report = try await connection.send(try OutgoingMessage(email))
/// await connection.quit()
/// ```
///
/// Sends on one connection run one at a time; a second concurrent ``send(_:)`` fails with
/// ``SMTPError/Code/connectionClosed``. A connection whose send timed out, was cancelled or
/// failed mid-transaction closes and is never used again (``isReusable`` turns false).
public final class SMTPConnection: Sendable {
    struct Inner {
        var machine: ConnectionStateMachine
        var parser = SMTPReplyParser()
        var capabilities = SMTPCapabilities()
    }

    let stream: any ByteStream
    let configuration: SMTPConfiguration
    let delegate: any SMTPEventDelegate
    let inner: Locked<Inner>

    init(stream: any ByteStream, configuration: SMTPConfiguration, delegate: (any SMTPEventDelegate)?) {
        self.stream = stream
        self.configuration = configuration
        self.delegate = delegate ?? NoEventDelegate()
        let machine = ConnectionStateMachine(
            maximumMessages: configuration.maximumMessagesPerConnection,
            idleCheckInterval: configuration.idleCheckInterval)
        self.inner = Locked(Inner(machine: machine))
    }

    /// Runs the SMTP handshake over an already connected `stream`: greeting, EHLO (HELO as a
    /// fallback), STARTTLS by policy, AUTH when credentials are set.
    ///
    /// Use it to run SMTP over a stream of your own; ``connect(_:delegate:)`` opens the TCP
    /// connection itself. The stream is closed when the handshake fails.
    ///
    /// - Parameter startedAt: when connecting began; ``SMTPTimeouts/connect`` counts from it.
    /// - Throws: ``SMTPError`` naming the phase that failed.
    public static func establish(
        over stream: any ByteStream, configuration: SMTPConfiguration, delegate: (any SMTPEventDelegate)? = nil,
        startedAt: ContinuousClock.Instant = .now
    ) async throws(SMTPError) -> SMTPConnection {
        try configuration.validate()
        let connection = SMTPConnection(stream: stream, configuration: configuration, delegate: delegate)
        do {
            try await connection.handshake(limit: startedAt.advanced(by: configuration.timeouts.connect))
        } catch {
            connection.fail(error.detail)
            throw error
        }
        connection.inner.withLock { $0.machine.established(at: .now) }
        return connection
    }

    /// What the server offered in its last EHLO (after TLS, when TLS is used).
    public var capabilities: SMTPCapabilities { inner.withLock { $0.capabilities } }

    /// Whether the session runs over TLS.
    public var isSecure: Bool { stream.isSecure }

    /// Whether the connection is idle and may carry another message.
    public var isReusable: Bool { inner.withLock { $0.machine.isReusable } }

    /// Whether the connection is idle and unbroken, though perhaps at its message limit.
    var isHealthy: Bool { inner.withLock { $0.machine.canQuit } }

    /// Sends QUIT, waits briefly for the reply and closes. A server that closes first is
    /// fine; nothing is left running afterwards.
    public func quit() async {
        let canQuit = inner.withLock { inner in
            defer { inner.machine.closed() }
            return inner.machine.canQuit
        }
        if canQuit {
            _ = try? await exchange(.quit, timeout: min(configuration.timeouts.command, .seconds(5)))
        }
        stream.close()
        delegate.smtpEvent(.closed(reason: "quit"))
    }

    /// Closes at once without QUIT. Idempotent.
    public func close() {
        inner.withLock { $0.machine.closed() }
        stream.close()
    }

    /// Marks the connection broken and closes its stream.
    func fail(_ reason: String) {
        inner.withLock { $0.machine.failed(reason) }
        stream.close()
        delegate.smtpEvent(.closed(reason: "failed"))
    }
}
