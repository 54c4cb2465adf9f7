import TetherNet
import TetherSMTP

/// How messages are handed to a connection.
enum SendMode: String {
    /// One `send(_:)` awaited at a time.
    case single
    /// `send(batch:)` with 100 messages at a time, so envelopes are pipelined.
    case batch
}

/// Copies of one message sent over several connections to a loopback server at once.
struct SendRun: Sendable {
    let port: Int
    /// The PEM file trusted for STARTTLS; `nil` sends in plaintext.
    let trustRoots: String?
    let mode: SendMode
    let connections: Int

    /// Sends `count` copies of `message`, shared out evenly; returns the wall time.
    func send(count: Int, of message: OutgoingMessage) async throws -> Duration {
        var configuration = SMTPConfiguration(host: "127.0.0.1", port: port)
        if let trustRoots {
            var tls = TLSConfiguration()
            tls.trustRootsFile = trustRoots
            configuration.tls = .required(tls)
        } else {
            configuration.tls = .none
        }
        configuration.maximumMessagesPerConnection = count
        configuration.idleCheckInterval = .seconds(3600)
        let settings = configuration
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<connections {
                let share = count / connections + (index < count % connections ? 1 : 0)
                group.addTask { try await send(share, of: message, configuration: settings) }
            }
            try await group.waitForAll()
        }
        return ContinuousClock.now - start
    }

    private func send(_ count: Int, of message: OutgoingMessage, configuration: SMTPConfiguration) async throws {
        let connection = try await SMTPConnection.connect(configuration)
        guard connection.isSecure == (trustRoots != nil) else {
            throw SendFailure("the session is \(connection.isSecure ? "" : "not ")under TLS")
        }
        var remaining = count
        while remaining > 0 {
            switch mode {
            case .single:
                _ = try await connection.send(message)
                remaining -= 1
            case .batch:
                let batch = [OutgoingMessage](repeating: message, count: min(remaining, 100))
                for result in await connection.send(batch: batch) { _ = try result.get() }
                remaining -= batch.count
            }
        }
        await connection.quit()
    }
}

struct SendFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
