import Testing
import TetherNet
import TetherTestKit

@testable import TetherSMTP

/// Every phase's timeout is 60 seconds, so a return within `promptly` can only come from the
/// cancellation. The bound is loose because the machine running the tests may be loaded; a
/// quiet machine returns in about a millisecond.
@Suite("S13: cancellation in every phase over loopback TCP")
struct ScriptedServerCancellationTests {
    static let promptly: Duration = .seconds(5)

    enum Phase: String, CaseIterable {
        case greeting, hello, tls, authentication, mailFrom, data, endOfData
    }

    /// Plays the server up to the point where the client waits in `phase`.
    func play(_ peer: ScriptedSMTPPeer, to phase: Phase) async throws {
        if phase == .greeting { return }
        try await peer.send("220 scripted.test\r\n")
        _ = try await peer.readLine()
        switch phase {
        case .greeting, .hello: return
        case .tls:
            try await peer.send("250-scripted.test\r\n250 STARTTLS\r\n")
            try await peer.expect("STARTTLS", reply: "220 go ahead")
        case .authentication:
            try await peer.send("250-scripted.test\r\n250 AUTH PLAIN\r\n")
            _ = try await peer.readLine()
        case .mailFrom, .data, .endOfData:
            try await peer.send("250-scripted.test\r\n250 8BITMIME\r\n")
            _ = try await peer.readLine()
            if phase == .mailFrom { return }
            try await peer.send("250 OK\r\n")
            _ = try await peer.readLine()
            try await peer.send("250 OK\r\n")
            _ = try await peer.readLine()
            if phase == .data { return }
            try await peer.send("354 go\r\n")
            _ = try await peer.readData()
        }
    }

    @Test(
        "S13: cancelled while waiting: returns within milliseconds and the socket is closed", arguments: Phase.allCases)
    func cancelled(phase: Phase) async throws {
        let server = try ScriptedSMTPServer(identity: phase == .tls ? try ScriptedTLSIdentity() : nil)
        var configuration = Loopback.configuration(server, timeout: .seconds(60))
        if phase == .tls { configuration.tls = .required(Loopback.tls(server.identity!)) }
        if phase == .authentication {
            configuration.credentials = .plain(user: "u", password: "p")
            configuration.allowPlaintextAuthOnLoopback = true
        }
        let task = Task { () async throws -> SendReport in
            let connection = try await SMTPConnection.connect(configuration)
            return try await connection.send(try Script.message())
        }
        let peer = try await server.accept()
        try await play(peer, to: phase)
        try await Task.sleep(for: .milliseconds(20))
        #expect(Loopback.clientSockets(toPort: server.port) == 1)
        let start = ContinuousClock.now
        task.cancel()
        let error = await #expect(throws: SMTPError.self) { try await task.value }
        #expect(ContinuousClock.now - start < Self.promptly)
        #expect(error?.code == .cancelled)
        #expect(error?.kind == (phase == .endOfData ? .ambiguous : .notAccepted))
        #expect(Loopback.clientSockets(toPort: server.port) == 0)
        #expect(await peer.waitForClose())
    }

    @Test("S13: cancelled while connecting to a full accept queue: returns at once, nothing left open")
    func cancelledConnecting() async throws {
        let server = try ScriptedSMTPServer(backlog: 0)
        let filler = try await TCPStream.connect(host: "127.0.0.1", port: server.port, deadline: .now + .seconds(2))
        defer { filler.close() }
        let task = Task { try await SMTPConnection.connect(Loopback.configuration(server, timeout: .seconds(60))) }
        try await Task.sleep(for: .milliseconds(50))
        let start = ContinuousClock.now
        task.cancel()
        let error = await #expect(throws: SMTPError.self) { try await task.value }
        #expect(ContinuousClock.now - start < Self.promptly)
        #expect(error?.code == .cancelled && error?.phase == .connect)
        #expect(Loopback.clientSockets(toPort: server.port) == 1)
    }
}
