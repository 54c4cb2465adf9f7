import Testing
import TetherNet
import TetherTestKit

@testable import TetherSMTP

@Suite("SMTP cases against the scripted server over loopback TCP")
struct ScriptedServerTests {
    @Test("S1: a server that never greets: the greeting deadline fires and the socket is closed")
    func silentGreeting() async throws {
        let server = try ScriptedSMTPServer()
        var configuration = Loopback.configuration(server)
        configuration.timeouts.greeting = .milliseconds(500)
        let connecting = Task { try await SMTPConnection.connect(configuration) }
        let peer = try await server.accept()
        #expect(Loopback.clientSockets(toPort: server.port) == 1)
        let error = await #expect(throws: SMTPError.self) { try await connecting.value }
        #expect(error?.code == .timedOut && error?.phase == .greeting)
        #expect(await peer.waitForClose())
        peer.close()
        #expect(Loopback.clientSockets(toPort: server.port) == 0)
    }

    @Test("S1: a silent peer on an implicit-TLS port: the TLS handshake deadline fires")
    func silentImplicitTLS() async throws {
        let server = try ScriptedSMTPServer()
        var configuration = Loopback.configuration(server, timeout: .milliseconds(300))
        configuration.tls = .implicit(TLSConfiguration())
        let connecting = Task { try await SMTPConnection.connect(configuration) }
        let peer = try await server.accept()
        let error = await #expect(throws: SMTPError.self) { try await connecting.value }
        #expect(error?.code == .timedOut && error?.phase == .tls)
        #expect(await peer.waitForClose())
    }

    @Test("the connect deadline fires when the listener's accept queue is full")
    func connectTimeout() async throws {
        let server = try ScriptedSMTPServer(backlog: 0)
        let filler = try await TCPStream.connect(host: "127.0.0.1", port: server.port, deadline: .now + .seconds(2))
        defer { filler.close() }
        var configuration = Loopback.configuration(server)
        configuration.timeouts.connect = .milliseconds(300)
        let start = ContinuousClock.now
        let error = await #expect(throws: SMTPError.self) { try await SMTPConnection.connect(configuration) }
        #expect(error?.code == .timedOut && error?.phase == .connect)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("S2: the server stalls mid-STARTTLS: the handshake deadline fires")
    func stalledHandshake() async throws {
        let server = try ScriptedSMTPServer(identity: try ScriptedTLSIdentity())
        var configuration = Loopback.configuration(server)
        configuration.tls = .required(Loopback.tls(server.identity!))
        configuration.timeouts.tlsHandshake = .milliseconds(300)
        let connecting = Task { try await SMTPConnection.connect(configuration) }
        let peer = try await server.accept()
        try await peer.greet(extensions: ["STARTTLS"])
        try await peer.expect("STARTTLS", reply: "220 go ahead")
        let error = await #expect(throws: SMTPError.self) { try await connecting.value }
        #expect(error?.code == .timedOut && error?.phase == .tls)
    }

    @Test("S2: the server stalls mid-STARTTLS: cancelling the task ends it at once")
    func stalledHandshakeCancelled() async throws {
        let server = try ScriptedSMTPServer(identity: try ScriptedTLSIdentity())
        var configuration = Loopback.configuration(server, timeout: .seconds(60))
        configuration.tls = .required(Loopback.tls(server.identity!))
        let connecting = Task { try await SMTPConnection.connect(configuration) }
        let peer = try await server.accept()
        try await peer.greet(extensions: ["STARTTLS"])
        try await peer.expect("STARTTLS", reply: "220 go ahead")
        try await Task.sleep(for: .milliseconds(50))
        let start = ContinuousClock.now
        connecting.cancel()
        let error = await #expect(throws: SMTPError.self) { try await connecting.value }
        #expect(ContinuousClock.now - start < ScriptedServerCancellationTests.promptly)
        #expect(error?.code == .cancelled && error?.phase == .tls)
        #expect(await peer.waitForClose())
    }

    @Test("S3: the EHLO reply one byte per write is assembled and parsed")
    func splitEHLO() async throws {
        let server = try ScriptedSMTPServer()
        // A write and a task switch per byte: on a loaded machine the reply takes seconds.
        let configuration = Loopback.configuration(server, timeout: .seconds(30))
        let connecting = Task { try await SMTPConnection.connect(configuration) }
        let peer = try await server.accept()
        try await peer.send("220 split.test\r\n", splitEvery: 1)
        _ = try await peer.readLine()
        let ehlo = "250-split.test\r\n250-PIPELINING\r\n250-SIZE 35882577\r\n250 SMTPUTF8\r\n"
        try await peer.send(ehlo, splitEvery: 1, pause: .zero)
        let connection = try await connecting.value
        #expect(connection.capabilities.pipelining && connection.capabilities.smtpUTF8)
        #expect(connection.capabilities.maximumSize == 35_882_577)
        connection.close()
    }

    @Test("S6: '220 go ahead' with a fake capability in the same segment: the session is refused before TLS")
    func injectedAfterStartTLS() async throws {
        let server = try ScriptedSMTPServer(identity: try ScriptedTLSIdentity())
        var configuration = Loopback.configuration(server)
        configuration.tls = .required(Loopback.tls(server.identity!))
        let connecting = Task { try await SMTPConnection.connect(configuration) }
        let peer = try await server.accept()
        try await peer.greet(extensions: ["STARTTLS"])
        _ = try await peer.readLine()
        try await peer.send("220 go ahead\r\n250 AUTH PLAIN\r\n")
        let error = await #expect(throws: SMTPError.self) { try await connecting.value }
        #expect(error?.code == .bytesBeforeTLS && error?.phase == .tls)
        #expect(await peer.waitForClose())
    }

    @Test("S6: STARTTLS for real; capabilities come only from the EHLO over TLS")
    func realStartTLS() async throws {
        let server = try ScriptedSMTPServer(identity: try ScriptedTLSIdentity())
        var configuration = Loopback.configuration(server)
        configuration.tls = .required(Loopback.tls(server.identity!))
        configuration.credentials = .plain(user: "ü", password: "pässword")
        let connecting = Task { try await SMTPConnection.connect(configuration) }
        let peer = try await server.accept()
        try await peer.greet(extensions: ["STARTTLS", "PIPELINING"])
        try await peer.expect("STARTTLS", reply: "220 go ahead")
        try await peer.startTLS()
        try await peer.expect("EHLO", reply: "250-tls.test\r\n250 AUTH PLAIN")
        let auth = try await peer.expect("AUTH PLAIN", reply: "235 2.7.0 accepted")
        #expect(auth == "AUTH PLAIN AMO8AHDDpHNzd29yZA==")
        let connection = try await connecting.value
        #expect(connection.isSecure && !connection.capabilities.pipelining)
        connection.close()
    }

    @Test("S7: AUTH on a plaintext loopback connection without the opt-in: no credential byte")
    func plaintextAuthRefused() async throws {
        let server = try ScriptedSMTPServer()
        var configuration = Loopback.configuration(server)
        configuration.credentials = .plain(user: "u", password: "p")
        let connecting = Task { try await SMTPConnection.connect(configuration) }
        let peer = try await server.accept()
        try await peer.greet(extensions: ["AUTH PLAIN LOGIN"])
        let error = await #expect(throws: SMTPError.self) { try await connecting.value }
        #expect(error?.code == .authenticationRequiresTLS)
        #expect(await peer.waitForClose())
    }

    @Test("a 421 greeting is a transient failure in the greeting phase")
    func greeting421() async throws {
        let server = try ScriptedSMTPServer()
        let connecting = Task { try await SMTPConnection.connect(Loopback.configuration(server)) }
        let peer = try await server.accept()
        try await peer.send("421 4.3.2 too busy\r\n")
        peer.close()
        let error = await #expect(throws: SMTPError.self) { try await connecting.value }
        #expect(error?.kind == .transient && error?.phase == .greeting && error?.replyCode == 421)
    }
}
