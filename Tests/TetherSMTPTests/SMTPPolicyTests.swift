import Foundation
import Testing
import TetherNet
import TetherTestKit

@testable import TetherSMTP

@Suite("TLS policies and AUTH mechanisms")
struct SMTPPolicyTests {
    @Test("opportunistic TLS continues in plaintext when STARTTLS is not offered")
    func opportunistic() async throws {
        let stream = ScriptedByteStream()
        var configuration = Script.configuration()
        configuration.tls = .opportunistic(TLSConfiguration())
        let connection = try await Script.connection(stream, extensions: ["PIPELINING"], configuration: configuration)
        #expect(!connection.isSecure && stream.tlsUpgrades == 0)
    }

    @Test("XOAUTH2 sends the bearer token; a 334 error challenge gets an empty reply and the failure")
    func xoauth2() async throws {
        let stream = ScriptedByteStream()
        var configuration = Script.configuration()
        configuration.credentials = .oauth2(user: "ada@example.com", token: "ya29.token")
        configuration.allowPlaintextAuthOnLoopback = true
        let connecting = Task { try await SMTPConnection.establish(over: stream, configuration: configuration) }
        try await Script.greet(stream, extensions: ["AUTH PLAIN XOAUTH2"])
        let line = try await stream.nextLine()
        #expect(line.hasPrefix("AUTH XOAUTH2 "))
        let decoded = Data(base64Encoded: String(line.dropFirst("AUTH XOAUTH2 ".count))).map {
            String(decoding: $0, as: UTF8.self)
        }
        #expect(decoded == "user=ada@example.com\u{1}auth=Bearer ya29.token\u{1}\u{1}")
        stream.send("334 eyJzdGF0dXMiOiI0MDEifQ==\r\n")
        #expect(try await stream.nextLine() == "")
        stream.send("535 5.7.8 token expired\r\n")
        let error = await #expect(throws: SMTPError.self) { try await connecting.value }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.description.contains("ya29") == false)
    }

    @Test("implicit TLS against the scripted server: TLS from the first byte, then the greeting")
    func implicitTLS() async throws {
        let server = try ScriptedSMTPServer(identity: try ScriptedTLSIdentity())
        var configuration = Loopback.configuration(server)
        configuration.tls = .implicit(Loopback.tls(server.identity!))
        let connecting = Task { try await SMTPConnection.connect(configuration) }
        let peer = try await server.accept()
        try await peer.startTLS()
        try await peer.greet()
        let connection = try await connecting.value
        #expect(connection.isSecure && connection.capabilities.pipelining)
        connection.close()
    }

    @Test("invalid configuration is refused naming the field")
    func invalidConfiguration() async throws {
        var configuration = Script.configuration()
        configuration.timeouts.endOfData = .zero
        let error = await #expect(throws: SMTPError.self) {
            try await SMTPConnection.establish(over: ScriptedByteStream(), configuration: configuration)
        }
        #expect(error?.field == "timeouts.endOfData")
        configuration = Script.configuration()
        configuration.heloName = "bad name\r\n"
        let helo = await #expect(throws: SMTPError.self) {
            try await SMTPConnection.establish(over: ScriptedByteStream(), configuration: configuration)
        }
        #expect(helo?.field == "heloName")
    }
}
