import TetherPool
import TetherSMTP

/// Makes the SMTP sessions the mailer's relay pool holds: the pool's target is the relay's
/// ``SMTPConfiguration``, so a SIGHUP with new relay settings is a pool swap.
///
/// A session found dead before any byte of a transaction went out is classified
/// ``ConnectionFailureKind/brokenBeforeSend``: the pool evicts it and sends the message once on
/// a fresh session. Every other failure is the sender's to classify; a session that cannot be
/// reused (timed out, cancelled, past its message limit) is closed when it comes back.
public struct SMTPSessionFactory: ConnectionFactory {
    public typealias Connection = SMTPConnection
    public typealias Target = SMTPConfiguration

    private let connector: SMTPConnector

    /// A factory connecting with `connector` (``SMTPConnector/tcp`` in production).
    public init(connector: SMTPConnector) {
        self.connector = connector
    }

    public func makeConnection(to target: SMTPConfiguration, timeout: Duration) async throws -> SMTPConnection {
        var configuration = target
        configuration.timeouts.connect = min(configuration.timeouts.connect, timeout)
        return try await SMTPConnection.connect(configuration, connector: connector)
    }

    public func close(_ connection: SMTPConnection) async {
        if connection.isReusable {
            await connection.quit()
        } else {
            connection.close()
        }
    }

    public func validate(_ connection: SMTPConnection) async -> Bool {
        connection.isReusable
    }

    public func classify(_ error: any Error) -> ConnectionFailureKind {
        guard let error = error as? SMTPError else { return .other }
        if error.connectionFoundDead { return .brokenBeforeSend }
        if error.code == .authenticationFailed { return .authentication }
        return .other
    }

    public func cancelOperation(on connection: SMTPConnection) {
        connection.close()
    }

    public func reset(_ connection: SMTPConnection) async throws -> Bool {
        connection.isReusable
    }
}
