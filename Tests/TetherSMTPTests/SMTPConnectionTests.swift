import Testing
import TetherNet
import TetherTestKit

@testable import TetherSMTP

@Suite("SMTPConnection over a scripted stream")
struct SMTPConnectionTests {
    @Test("with PIPELINING, MAIL, RCPT and DATA go out in one write and the queue id comes back")
    func pipelined() async throws {
        let stream = ScriptedByteStream()
        let connection = try await Script.connection(stream)
        let writesBefore = stream.writeCount
        let sending = Task { try await connection.send(try Script.message(["ada@example.com", "bob@example.com"])) }
        #expect(try await stream.nextLine() == "MAIL FROM:<sender@example.com>")
        #expect(try await stream.nextLine() == "RCPT TO:<ada@example.com>")
        #expect(try await stream.nextLine() == "RCPT TO:<bob@example.com>")
        #expect(try await stream.nextLine() == "DATA")
        #expect(stream.writeCount == writesBefore + 1)
        stream.send("250 OK\r\n250 OK\r\n250 OK\r\n354 go\r\n")
        let content = try await stream.nextData()
        #expect(content.string.contains("Hello"))
        stream.send("250 2.0.0 OK queued as ABC123\r\n")
        let report = try await sending.value
        #expect(report.queueID == "ABC123")
        #expect(report.accepted.count == 2 && report.rejected.isEmpty)
        #expect(connection.isReusable)
    }

    @Test("without PIPELINING, each command waits for the previous reply")
    func oneAtATime() async throws {
        let stream = ScriptedByteStream()
        let connection = try await Script.connection(stream, extensions: ["8BITMIME"])
        let sending = Task { try await connection.send(try Script.message()) }
        #expect(try await stream.nextLine() == "MAIL FROM:<sender@example.com>")
        let writes = stream.writeCount
        stream.send("250 OK\r\n")
        #expect(try await stream.nextLine() == "RCPT TO:<ada@example.com>")
        #expect(stream.writeCount == writes + 1)
        stream.send("250 OK\r\n")
        #expect(try await stream.nextLine() == "DATA")
        stream.send("354 go\r\n")
        _ = try await stream.nextData()
        stream.send("250 OK\r\n")
        #expect(try await sending.value.accepted.count == 1)
    }

    @Test("S14: one of three recipients refused with 550; the message goes to the other two")
    func partialAcceptance() async throws {
        let stream = ScriptedByteStream()
        let connection = try await Script.connection(stream)
        let recipients = ["a@example.com", "b@example.com", "c@example.com"]
        let sending = Task { try await connection.send(try Script.message(recipients)) }
        for _ in 0..<5 { _ = try await stream.nextLine() }
        stream.send("250 OK\r\n250 OK\r\n550 5.1.1 <b@example.com> no such user\r\n250 OK\r\n354 go\r\n")
        _ = try await stream.nextData()
        stream.send("250 OK queued as Q\r\n")
        let report = try await sending.value
        #expect(report.accepted.map(\.recipient.address) == ["a@example.com", "c@example.com"])
        #expect(report.rejected.map(\.recipient.address) == ["b@example.com"])
        #expect(report.rejected.first?.reply.enhancedCode?.description == "5.1.1")
    }

    @Test("S14: all-or-nothing holds DATA back, fails naming each recipient, and resets before the next message")
    func allOrNothing() async throws {
        let stream = ScriptedByteStream()
        let connection = try await Script.connection(stream)
        var message = try Script.message(["a@example.com", "b@example.com", "c@example.com"])
        message.recipientPolicy = .allOrNothing
        let sending = Task { try await connection.send(message) }
        for _ in 0..<4 { _ = try await stream.nextLine() }
        stream.send("250 OK\r\n250 OK\r\n550 5.1.1 no\r\n250 OK\r\n")
        let error = await #expect(throws: SMTPError.self) { try await sending.value }
        #expect(error?.code == .recipientsRejected && error?.kind == .permanent)
        #expect(error?.recipients.map(\.isAccepted) == [true, false, true])
        #expect(!stream.transcript.string.contains("DATA"))
        let next = Task { try await connection.send(try Script.message()) }
        #expect(try await stream.nextLine() == "RSET")
        stream.send("250 OK\r\n")
        _ = try await Script.acceptMessage(stream)
        #expect(try await next.value.accepted.count == 1)
    }

    @Test("every recipient refused: DATA's 354 is answered with the terminator alone and the send fails")
    func allRefused() async throws {
        let stream = ScriptedByteStream()
        let connection = try await Script.connection(stream)
        let sending = Task { try await connection.send(try Script.message()) }
        for _ in 0..<3 { _ = try await stream.nextLine() }
        stream.send("250 OK\r\n450 4.2.0 mailbox busy\r\n354 go\r\n")
        #expect(try await stream.nextLine() == ".")
        stream.send("554 no valid recipients\r\n")
        let error = await #expect(throws: SMTPError.self) { try await sending.value }
        #expect(error?.kind == .transient && error?.code == .recipientsRejected)
        #expect(!stream.transcript.string.contains("Hello"))
    }

    @Test("final replies are classified: 4xx transient, 5xx permanent, with code and enhanced code")
    func classification() async throws {
        for (line, kind) in [("451 4.3.0 try later", SMTPError.Kind.transient), ("554 5.7.1 spam", .permanent)] {
            let stream = ScriptedByteStream()
            let connection = try await Script.connection(stream)
            let sending = Task { try await connection.send(try Script.message()) }
            for _ in 0..<3 { _ = try await stream.nextLine() }
            stream.send("250 OK\r\n250 OK\r\n354 go\r\n")
            _ = try await stream.nextData()
            stream.send(line + "\r\n")
            let error = await #expect(throws: SMTPError.self) { try await sending.value }
            #expect(error?.kind == kind && error?.phase == .endOfData)
            #expect(error?.replyCode == Int(line.prefix(3)))
            #expect(error?.enhancedCode?.classDigit == kind.digit)
            #expect(connection.isReusable)
        }
    }

    @Test("SIZE refuses a message that is too big before MAIL is written")
    func sizeLimit() async throws {
        let stream = ScriptedByteStream()
        let connection = try await Script.connection(stream, extensions: ["PIPELINING", "SIZE 100"])
        let before = stream.transcript
        let error = await #expect(throws: SMTPError.self) {
            try await connection.send(try Script.message(text: String(repeating: "x", count: 500)))
        }
        #expect(error?.code == .messageTooLarge)
        #expect(stream.transcript == before)
        #expect(connection.isReusable)
    }

    @Test("a non-ASCII address needs SMTPUTF8; a server without it gets nothing")
    func smtpUTF8() async throws {
        let stream = ScriptedByteStream()
        let connection = try await Script.connection(stream)
        let before = stream.transcript
        let error = await #expect(throws: SMTPError.self) {
            try await connection.send(try Script.message(["jörg@example.de"]))
        }
        #expect(error?.code == .extensionUnavailable)
        #expect(stream.transcript == before)
    }

    @Test("S8: a control character in a DSN envelope id is refused before a byte is written")
    func controlCharacterInParameter() async throws {
        let stream = ScriptedByteStream()
        let connection = try await Script.connection(stream, extensions: ["PIPELINING", "DSN"])
        var message = try Script.message()
        var notification = DeliveryNotification()
        notification.envelopeID = "id\r\nDATA"
        message.deliveryNotification = notification
        let before = stream.transcript
        let error = await #expect(throws: SMTPError.self) { try await connection.send(message) }
        #expect(error?.code == .controlCharacter && error?.field == "deliveryNotification.envelopeID")
        #expect(stream.transcript == before)
    }

    @Test("EHLO refused: HELO is tried and the session runs without extensions")
    func heloFallback() async throws {
        let stream = ScriptedByteStream()
        async let connecting = SMTPConnection.establish(over: stream, configuration: Script.configuration())
        stream.send("220 old.test\r\n")
        #expect(try await stream.nextLine() == "EHLO localhost")
        stream.send("502 command not implemented\r\n")
        #expect(try await stream.nextLine() == "HELO localhost")
        stream.send("250 old.test\r\n")
        let connection = try await connecting
        #expect(!connection.capabilities.pipelining)
    }

    @Test("S12: the server closes before the reply to QUIT; quit completes and the stream is closed")
    func quitWithoutReply() async throws {
        let stream = ScriptedByteStream()
        let connection = try await Script.connection(stream)
        async let quitting: Void = connection.quit()
        #expect(try await stream.nextLine() == "QUIT")
        stream.closeFromPeer()
        await quitting
        #expect(stream.isClosed)
        #expect(!connection.isReusable)
    }

    @Test("events carry verbs and codes, never credentials or content")
    func eventsHaveNoSecrets() async throws {
        let stream = ScriptedByteStream()
        let recorder = EventRecorder()
        var configuration = Script.configuration()
        configuration.credentials = .plain(user: "user", password: "hunter2-secret")
        configuration.allowPlaintextAuthOnLoopback = true
        async let connecting = SMTPConnection.establish(over: stream, configuration: configuration, delegate: recorder)
        try await Script.greet(stream, extensions: ["PIPELINING", "AUTH PLAIN"])
        let auth = try await stream.nextLine()
        #expect(auth.hasPrefix("AUTH PLAIN "))
        stream.send("235 2.7.0 OK\r\n")
        let connection = try await connecting
        let sending = Task { try await connection.send(try Script.message(text: "secret body text")) }
        _ = try await Script.acceptMessage(stream)
        _ = try await sending.value
        let text = recorder.descriptions.joined(separator: "\n")
        #expect(text.contains("authenticated") && text.contains("MAIL"))
        #expect(
            !text.contains("hunter2") && !text.contains("secret body") && !text.contains(String(auth.dropFirst(11))))
        #expect(!"\(configuration.credentials!)".contains("hunter2"))
    }
}

extension SMTPError.Kind {
    var digit: Int { self == .transient ? 4 : 5 }
}
