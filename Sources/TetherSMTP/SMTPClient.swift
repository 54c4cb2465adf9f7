import Synchronization
import TetherLocking
import TetherNet

/// Sends messages over reused SMTP connections.
///
/// Each ``send(_:)`` takes an idle connection, or opens one, and returns it afterwards if
/// it can carry more messages. A reused connection found dead before any message byte
/// went out (closed, reset, 421, a failed RSET or NOOP) is replaced and the message sent
/// once on the new one. A connection whose send timed out or was cancelled is closed,
/// never reused. Concurrent sends each get their own connection.
///
/// ```swift
/// let client = SMTPClient(configuration: configuration)
/// let report = try await client.send(try OutgoingMessage(email))
/// await client.shutdown()
/// ```
public final class SMTPClient: Sendable {
    /// The configuration every connection uses.
    public let configuration: SMTPConfiguration
    private let connector: SMTPConnector
    private let delegate: (any SMTPEventDelegate)?
    private let idle = Locked<[SMTPConnection]>([])

    /// A client for `configuration`.
    ///
    /// - Parameters:
    ///   - connector: opens the byte stream to the server. Defaults to ``SMTPConnector/tcp``.
    ///   - delegate: receives events from every connection. Defaults to `nil`.
    public init(
        configuration: SMTPConfiguration, connector: SMTPConnector = .tcp, delegate: (any SMTPEventDelegate)? = nil
    ) {
        self.configuration = configuration
        self.connector = connector
        self.delegate = delegate
    }

    // Not yet: idle connections are not watched while they wait, so EOF or stray bytes are
    // noticed only by the next NOOP or first command (still before any message byte).
    // Not yet: no batch send here; `SMTPConnection.send(batch:)` pipelines across messages.

    /// Sends `message` on an idle connection or a new one.
    ///
    /// - Throws: ``SMTPError`` as ``SMTPConnection/send(_:)`` does, or from connecting.
    public func send(_ message: OutgoingMessage) async throws(SMTPError) -> SendReport {
        let reused = idle.withLock { $0.popLast() }
        let connection: SMTPConnection
        if let reused { connection = reused } else { connection = try await open() }
        do {
            let report = try await connection.send(message)
            await giveBack(connection)
            return report
        } catch  where error.connectionFoundDead && reused != nil {
            connection.close()
            delegate?.smtpEvent(.connectionReplaced(reason: "\(error.code) in \(error.phase)"))
        } catch {
            await giveBack(connection)
            throw error
        }
        let fresh = try await open()
        do {
            let report = try await fresh.send(message)
            await giveBack(fresh)
            return report
        } catch {
            await giveBack(fresh)
            throw error
        }
    }

    /// Sends QUIT on every idle connection and closes it.
    public func shutdown() async {
        let connections = idle.withLock { idle in
            defer { idle.removeAll() }
            return idle
        }
        for connection in connections { await connection.quit() }
    }

    /// How many idle connections are kept for reuse now.
    public var idleConnections: Int { idle.withLock { $0.count } }

    private func open() async throws(SMTPError) -> SMTPConnection {
        try await SMTPConnection.connect(configuration, connector: connector, delegate: delegate)
    }

    private func giveBack(_ connection: SMTPConnection) async {
        let kept =
            connection.isReusable
            && idle.withLock { idle in
                guard idle.count < configuration.maximumIdleConnections else { return false }
                idle.append(connection)
                return true
            }
        if kept { return }
        if connection.isHealthy { await connection.quit() } else { connection.close() }
    }
}
