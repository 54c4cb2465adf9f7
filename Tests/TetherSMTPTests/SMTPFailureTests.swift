import Testing
import TetherNet
import TetherTestKit

@testable import TetherSMTP

@Suite("SMTP failures over a scripted stream")
struct SMTPFailureTests {
    @Test("S1: a server that never greets: the greeting deadline fires, the stream closes, the phase is named")
    func silentGreeting() async throws {
        let stream = ScriptedByteStream()
        var configuration = Script.configuration()
        configuration.timeouts.greeting = .milliseconds(50)
        let error = await #expect(throws: SMTPError.self) {
            try await SMTPConnection.establish(over: stream, configuration: configuration)
        }
        #expect(error?.code == .timedOut && error?.phase == .greeting)
        #expect(stream.isClosed)
    }

    @Test("S6: bytes after '220 go ahead' and before the handshake abort the session; no TLS, no EHLO")
    func injectionBeforeTLS() async throws {
        let stream = ScriptedByteStream()
        var configuration = Script.configuration()
        configuration.tls = .required(TLSConfiguration())
        let connecting = Task { try await SMTPConnection.establish(over: stream, configuration: configuration) }
        try await Script.greet(stream, extensions: ["STARTTLS"])
        #expect(try await stream.nextLine() == "STARTTLS")
        stream.send("220 go ahead\r\n250-AUTH PLAIN\r\n250 PIPELINING\r\n")
        let error = await #expect(throws: SMTPError.self) { try await connecting.value }
        #expect(error?.code == .bytesBeforeTLS)
        #expect(stream.tlsUpgrades == 0 && stream.isClosed)
    }

    @Test("S6: capabilities come only from the EHLO sent over TLS")
    func capabilitiesAfterTLS() async throws {
        let stream = ScriptedByteStream(isLoopback: false)
        var configuration = Script.configuration()
        configuration.tls = .required(TLSConfiguration())
        let connecting = Task { try await SMTPConnection.establish(over: stream, configuration: configuration) }
        try await Script.greet(stream, extensions: ["STARTTLS", "PIPELINING", "AUTH PLAIN"])
        #expect(try await stream.nextLine() == "STARTTLS")
        stream.send("220 go ahead\r\n")
        #expect(try await stream.nextLine() == "EHLO localhost")
        stream.send(Script.ehloReply(["SIZE 2000"]))
        let connection = try await connecting.value
        #expect(connection.isSecure && stream.tlsUpgrades == 1)
        #expect(!connection.capabilities.pipelining && connection.capabilities.maximumSize == 2000)
    }

    @Test("STARTTLS required and not offered: refused before anything else")
    func tlsRequiredNotOffered() async throws {
        let stream = ScriptedByteStream()
        var configuration = Script.configuration()
        configuration.tls = .required(TLSConfiguration())
        let connecting = Task { try await SMTPConnection.establish(over: stream, configuration: configuration) }
        try await Script.greet(stream, extensions: ["PIPELINING"])
        let error = await #expect(throws: SMTPError.self) { try await connecting.value }
        #expect(error?.code == .tlsRequired && stream.isClosed)
    }

    @Test("S7: AUTH offered on plaintext to a non-loopback peer: no credential byte, the error says TLS is required")
    func noPlaintextAuth() async throws {
        for (loopback, optIn) in [(false, true), (true, false)] {
            let stream = ScriptedByteStream(isLoopback: loopback)
            var configuration = Script.configuration()
            configuration.credentials = .plain(user: "user", password: "pw")
            configuration.allowPlaintextAuthOnLoopback = optIn
            let connecting = Task { try await SMTPConnection.establish(over: stream, configuration: configuration) }
            try await Script.greet(stream, extensions: ["AUTH PLAIN LOGIN"])
            let error = await #expect(throws: SMTPError.self) { try await connecting.value }
            #expect(error?.code == .authenticationRequiresTLS)
            #expect(error?.description.contains("TLS is required for AUTH") == true)
            #expect(!stream.transcript.string.contains("AUTH"))
        }
    }

    @Test("S7: loopback plaintext AUTH with the opt-in; LOGIN when PLAIN is not offered; 535 is permanent")
    func loopbackAuthLogin() async throws {
        let stream = ScriptedByteStream(isLoopback: true)
        var configuration = Script.configuration()
        configuration.credentials = .plain(user: "usér", password: "pw")
        configuration.allowPlaintextAuthOnLoopback = true
        let connecting = Task { try await SMTPConnection.establish(over: stream, configuration: configuration) }
        try await Script.greet(stream, extensions: ["AUTH LOGIN"])
        #expect(try await stream.nextLine() == "AUTH LOGIN")
        stream.send("334 VXNlcm5hbWU6\r\n")
        #expect(try await stream.nextLine() == "dXPDqXI=")
        stream.send("334 UGFzc3dvcmQ6\r\n")
        #expect(try await stream.nextLine() == "cHc=")
        stream.send("535 5.7.8 bad credentials\r\n")
        let error = await #expect(throws: SMTPError.self) { try await connecting.value }
        #expect(error?.code == .authenticationFailed && error?.kind == .permanent)
    }

    @Test("a connection closed after the end-of-data terminator is ambiguous and never reused")
    func ambiguousAfterEndOfData() async throws {
        let stream = ScriptedByteStream()
        let connection = try await Script.connection(stream)
        let sending = Task { try await connection.send(try Script.message()) }
        for _ in 0..<3 { _ = try await stream.nextLine() }
        stream.send("250 OK\r\n250 OK\r\n354 go\r\n")
        _ = try await stream.nextData()
        stream.closeFromPeer()
        let error = await #expect(throws: SMTPError.self) { try await sending.value }
        #expect(error?.kind == .ambiguous && error?.phase == .endOfData)
        #expect(!connection.isReusable && stream.isClosed)
    }

    @Test("S5: a reply that times out mid-transaction retires the connection")
    func timeoutRetires() async throws {
        let stream = ScriptedByteStream()
        var configuration = Script.configuration()
        configuration.timeouts.command = .milliseconds(50)
        let connection = try await Script.connection(stream, configuration: configuration)
        let error = await #expect(throws: SMTPError.self) { try await connection.send(try Script.message()) }
        #expect(
            error?.code == .timedOut && error?.kind == .notAccepted && error?.phase == .mailFrom,
            "\(String(describing: error))")
        #expect(!connection.isReusable && stream.isClosed)
        #expect(error?.connectionFoundDead == false)
    }

    @Test("the whole-message budget bounds a send even when each phase has time left")
    func messageBudget() async throws {
        let stream = ScriptedByteStream()
        var configuration = Script.configuration()
        configuration.timeouts.message = .milliseconds(50)
        let connection = try await Script.connection(stream, configuration: configuration)
        let error = await #expect(throws: SMTPError.self) { try await connection.send(try Script.message()) }
        #expect(error?.code == .timedOut)
    }
}
