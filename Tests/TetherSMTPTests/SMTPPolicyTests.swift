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

@Suite("SMTPError retry decisions")
struct SMTPRetryDecisionTests {
    @Test("transient retries after a hint; permanent, ambiguous and bad input stop; broken connections retry")
    func decisions() {
        let busy = SMTPReply(code: 421, lines: ["4.3.2 busy"])
        #expect(SMTPError.rejected(busy, phase: .mailFrom).retryDecision == .retryAfter(.seconds(30)))
        let spam = SMTPReply(code: 554, lines: ["5.7.1 spam"])
        #expect(SMTPError.rejected(spam, phase: .endOfData).retryDecision == .stop)
        let lost = SMTPError(.notAccepted, .connectionClosed, phase: .mailFrom, detail: "closed")
        #expect(lost.retryDecision == .retryAfter(.seconds(30)))
        #expect(lost.withKind(.ambiguous).retryDecision == .stop)
        #expect(SMTPError.invalid("to", "bad").retryDecision == .stop)
        #expect(SMTPError.retryDecision(for: CancellationError()) == .stop)
    }

    @Test("a wait the reply states wins over the default pause", arguments: [421, 450, 451])
    func statedWait(code: Int) {
        let greylisted = SMTPReply(code: code, lines: ["4.7.1 greylisted, try again in 90 seconds"])
        #expect(SMTPError.rejected(greylisted, phase: .mailFrom).retryDecision == .retryAfter(.seconds(90)))
    }
}

@Suite("SMTPReply stated retry delay")
struct SMTPReplyRetryDelayTests {
    private func delay(_ text: String) -> Duration? { SMTPReply(code: 451, lines: [text]).statedRetryDelay }

    @Test(
        "reads the wait a relay asks for",
        arguments: [
            ("4.7.0 Greylisted, try again in 30 seconds", 30),
            ("Too many connections, retry after 2 minutes", 120),
            ("Try again later (90s)", 90),
            ("service busy; please wait 1 hour", 3600),
        ])
    func parses(text: String, seconds: Int) {
        #expect(delay(text) == .seconds(seconds))
    }

    @Test("states no wait when the reply does not speak of trying again", arguments: ["Mailbox full", "Rate 5s limit"])
    func none(text: String) {
        #expect(delay(text) == nil)
    }

    @Test("a number inside a word or an enhanced code is not a wait")
    func codesAreNotWaits() {
        #expect(delay("4.7.0 try again later") == nil)
        #expect(delay("x25s try later") == nil)
    }
}

@Suite("MAIL and RCPT parameters")
struct SMTPParameterTests {
    @Test("SIZE, SMTPUTF8 and DSN parameters go out when offered; ORCPT is xtext")
    func parameters() async throws {
        let stream = ScriptedByteStream()
        let connection = try await Script.connection(
            stream, extensions: ["PIPELINING", "SIZE 100000", "SMTPUTF8", "DSN", "8BITMIME"])
        var message = try OutgoingMessage(
            raw: Array("Subject: é\r\n\r\nbody\r\n".utf8), sender: try EmailAddress("a@example.com"),
            recipients: [try EmailAddress("jörg@example.de"), try EmailAddress("b+x=y@example.com")])
        var notification = DeliveryNotification()
        notification.notify = ["SUCCESS", "FAILURE"]
        notification.envelopeID = "id+1"
        message.deliveryNotification = notification
        let sending = Task { try await connection.send(message) }
        let mail = try await stream.nextLine()
        #expect(mail.hasPrefix("MAIL FROM:<a@example.com> SIZE="))
        #expect(mail.hasSuffix("BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id+2B1"))
        #expect(try await stream.nextLine() == "RCPT TO:<jörg@example.de> NOTIFY=SUCCESS,FAILURE")
        #expect(
            try await stream.nextLine()
                == "RCPT TO:<b+x=y@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b+2Bx+3Dy@example.com")
        #expect(try await stream.nextLine() == "DATA")
        stream.send("250 OK\r\n250 OK\r\n250 OK\r\n354 go\r\n")
        _ = try await stream.nextData()
        stream.send("250 OK\r\n")
        #expect(try await sending.value.accepted.count == 2)
    }
}
