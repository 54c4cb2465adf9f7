import Testing
import TetherNet
import TetherTestKit

@testable import TetherSMTP

@Suite("SMTP transaction cases against the scripted server over loopback TCP")
struct ScriptedServerTransactionTests {
    @Test("S9 S10 S11: leading dots, a line over 998 octets and bare CR/LF arrive as submitted")
    func contentIntact() async throws {
        let server = try ScriptedSMTPServer()
        let sending = Task { () async throws -> SendReport in
            let connection = try await SMTPConnection.connect(Loopback.configuration(server))
            var email = Email(from: try EmailAddress("a@tether.test"), subject: "dots")
            email.to = [try EmailAddress("b@tether.test")]
            email.text = ".\n.leading\n\n.\r.\r\n" + String(repeating: "y", count: 2000) + "\nend"
            return try await connection.send(try OutgoingMessage(email))
        }
        let peer = try await server.accept()
        try await peer.greet()
        let received = try await Loopback.accept(peer)
        #expect(Decode.lines(received).allSatisfy { $0.count <= 998 })
        let body = Decode.singlePartBody(received)
        #expect(body == Array(".\r\n.leading\r\n\r\n.\r\n.\r\n\(String(repeating: "y", count: 2000))\r\nend\r\n".utf8))
        _ = try await sending.value
    }

    @Test("S14: one of three recipients refused over TCP: sent to the two, each reply listed")
    func partial() async throws {
        let server = try ScriptedSMTPServer()
        let sending = Task { () async throws -> SendReport in
            let connection = try await SMTPConnection.connect(Loopback.configuration(server))
            return try await connection.send(try Script.message(["a@x.test", "b@x.test", "c@x.test"]))
        }
        let peer = try await server.accept()
        try await peer.greet()
        for _ in 0..<5 { _ = try await peer.readLine() }
        try await peer.send(
            "250 OK\r\n250 OK\r\n550 5.1.1 unknown\r\n250 OK\r\n354 go\r\n", splitEvery: 7, pause: .zero)
        _ = try await peer.readData()
        try await peer.send("250 OK queued as P\r\n")
        let report = try await sending.value
        #expect(report.accepted.count == 2 && report.rejected.map(\.reply.code) == [550])
    }

    @Test("S4: the server says '221 idle timeout' and closes an idle connection: a new one sends the message once")
    func idleClosed() async throws {
        let server = try ScriptedSMTPServer()
        let client = SMTPClient(configuration: Loopback.configuration(server))
        let first = Task { try await client.send(try Script.message(text: "first")) }
        let old = try await server.accept()
        try await old.greet()
        _ = try await Loopback.accept(old)
        _ = try await first.value
        try await old.send("221 2.0.0 idle timeout\r\n")
        old.close()
        let second = Task { try await client.send(try Script.message(text: "second")) }
        let fresh = try await server.accept()
        try await fresh.greet()
        let content = try await Loopback.accept(fresh, queueID: "FRESH")
        #expect(content.string.contains("second"))
        #expect(try await second.value.queueID == "FRESH")
        let closing = Task { await client.shutdown() }
        try await fresh.expect("QUIT", reply: "221 bye")
        await closing.value
    }

    @Test("S5: a final reply times out and arrives late: the next message goes on a fresh connection")
    func lateReply() async throws {
        let server = try ScriptedSMTPServer()
        var configuration = Loopback.configuration(server)
        // Short enough to expire for the first message, long enough that the second message's
        // reply, over the same client, still arrives in time on a loaded machine.
        configuration.timeouts.endOfData = .seconds(3)
        let client = SMTPClient(configuration: configuration)
        let first = Task { try await client.send(try Script.message()) }
        let old = try await server.accept()
        try await old.greet()
        for _ in 0..<3 { _ = try await old.readLine() }
        try await old.send("250 OK\r\n250 OK\r\n354 go\r\n")
        _ = try await old.readData()
        let error = await #expect(throws: SMTPError.self) { try await first.value }
        #expect(error?.kind == .ambiguous)
        try? await old.send("250 OK late\r\n")
        let second = Task { try await client.send(try Script.message()) }
        let fresh = try await server.accept()
        try await fresh.greet()
        _ = try await Loopback.accept(fresh, queueID: "NEW")
        #expect(try await second.value.queueID == "NEW")
        #expect(await old.waitForClose())
    }

    @Test("S12: the connection closes before the reply to QUIT: quit completes, the socket is closed")
    func quitWithoutReply() async throws {
        let server = try ScriptedSMTPServer()
        let connecting = Task { try await SMTPConnection.connect(Loopback.configuration(server)) }
        let peer = try await server.accept()
        try await peer.greet()
        let connection = try await connecting.value
        let quitting = Task { await connection.quit() }
        #expect(try await peer.readLine() == "QUIT")
        peer.close()
        await quitting.value
        #expect(Loopback.clientSockets(toPort: server.port) == 0)
    }

    @Test("a 421 in the middle of the envelope fails the message as transient and retires the connection")
    func closingMidTransaction() async throws {
        let server = try ScriptedSMTPServer()
        let connecting = Task { try await SMTPConnection.connect(Loopback.configuration(server)) }
        let peer = try await server.accept()
        try await peer.greet(extensions: ["8BITMIME"])
        let connection = try await connecting.value
        let sending = Task { try await connection.send(try Script.message()) }
        try await peer.expect("MAIL", reply: "250 OK")
        try await peer.expect("RCPT", reply: "421 4.3.2 shutting down")
        let error = await #expect(throws: SMTPError.self) { try await sending.value }
        #expect(error?.kind == .transient && error?.replyCode == 421 && error?.phase == .recipient)
        #expect(!connection.isReusable)
    }
}
