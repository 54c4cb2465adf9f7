import Synchronization
import Testing
import TetherLocking
import TetherNet
import TetherTestKit

@testable import TetherSMTP

/// The server side of a scripted session: greeting and EHLO with chosen extensions.
enum Script {
    static func configuration(timeout: Duration = .seconds(30)) -> SMTPConfiguration {
        var configuration = SMTPConfiguration(host: "127.0.0.1", port: 25)
        configuration.tls = .none
        configuration.timeouts = .all(timeout)
        return configuration
    }

    static func ehloReply(_ extensions: [String]) -> String {
        let lines = ["mail.test"] + extensions
        return lines.enumerated().map { index, line in
            "250" + (index == lines.count - 1 ? " " : "-") + line + "\r\n"
        }.joined()
    }

    /// Greets and answers EHLO.
    static func greet(_ stream: ScriptedByteStream, extensions: [String] = ["PIPELINING", "8BITMIME"]) async throws {
        stream.send("220 mail.test ESMTP\r\n")
        #expect(try await stream.nextLine() == "EHLO localhost")
        stream.send(ehloReply(extensions))
    }

    /// A connection over `stream`, greeted with `extensions`.
    static func connection(
        _ stream: ScriptedByteStream, extensions: [String] = ["PIPELINING", "8BITMIME"],
        configuration: SMTPConfiguration = configuration()
    ) async throws -> SMTPConnection {
        async let connecting = SMTPConnection.establish(over: stream, configuration: configuration)
        try await greet(stream, extensions: extensions)
        return try await connecting
    }

    /// A message from sender@example.com to `recipients`.
    static func message(_ recipients: [String] = ["ada@example.com"], text: String = "Hello") throws
        -> OutgoingMessage
    {
        var email = Email(from: try EmailAddress("sender@example.com"), subject: "Test", messageID: "m1@example.com")
        email.to = try recipients.map { try EmailAddress($0) }
        email.text = text
        return try OutgoingMessage(email)
    }

    /// Reads a pipelined envelope (MAIL, RCPT..., DATA) and accepts it, then the content.
    static func acceptMessage(_ stream: ScriptedByteStream, recipients: Int = 1, queueID: String = "Q1")
        async throws -> [UInt8]
    {
        for _ in 0..<(recipients + 2) { _ = try await stream.nextLine() }
        stream.send(String(repeating: "250 2.1.0 OK\r\n", count: recipients + 1) + "354 go ahead\r\n")
        let content = try await stream.nextData()
        stream.send("250 2.0.0 OK queued as \(queueID)\r\n")
        return content
    }
}

/// Hands out scripted streams, one per connection attempt, and lets the test play each.
final class ScriptedConnector: Sendable {
    private struct State {
        var opened: [ScriptedByteStream] = []
        var claimed = 0
        var waiter: CheckedContinuation<ScriptedByteStream, Never>?
    }
    private let state = Locked(State())

    var connector: SMTPConnector {
        SMTPConnector { [self] _, _, _ in
            let stream = ScriptedByteStream()
            let waiter = state.withLock { state in
                state.opened.append(stream)
                guard let waiter = state.waiter else { return nil as CheckedContinuation<ScriptedByteStream, Never>? }
                state.waiter = nil
                state.claimed += 1
                return waiter
            }
            waiter?.resume(returning: stream)
            return stream
        }
    }

    /// How many connections were opened.
    var count: Int { state.withLock { $0.opened.count } }

    /// The next stream the client opens (in order).
    func next() async -> ScriptedByteStream {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> ScriptedByteStream? in
                if state.claimed < state.opened.count {
                    state.claimed += 1
                    return state.opened[state.claimed - 1]
                }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// Records events.
final class EventRecorder: SMTPEventDelegate {
    let events = Locked<[SMTPEvent]>([])
    func smtpEvent(_ event: SMTPEvent) { events.withLock { $0.append(event) } }
    var descriptions: [String] { events.withLock { $0.map { "\($0)" } } }
}
