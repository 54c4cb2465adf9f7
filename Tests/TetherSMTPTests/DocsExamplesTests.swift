import Testing
import TetherNet
import TetherTestKit

@testable import TetherSMTP

/// The examples of Docs/smtp.md, compiled and run against a scripted stream.
@Suite("Docs/smtp.md examples")
struct DocsExamplesTests {
    @Test("the message example builds, and the send example reports a queue id")
    func buildAndSend() async throws {
        var email = Email(from: try EmailAddress("reports@example.com", displayName: "Reports"), subject: "Grüße")
        email.to = [try EmailAddress("ada@example.com")]
        email.bcc = [try EmailAddress("archive@example.com")]
        email.text = "The nightly run finished."
        email.html = "<p>The nightly run finished.</p>"
        email.attachments = [Attachment(filename: "run.csv", contentType: "text/csv", content: Array("a,b\n".utf8))]
        let message = try OutgoingMessage(email)

        let connector = ScriptedConnector()
        let password = "example-password"
        var configuration = SMTPConfiguration(host: "127.0.0.1", port: 587)
        configuration.credentials = .plain(user: "mailer", password: password)
        var tls = TLSConfiguration()
        tls.trustRootsFile = "/etc/tether/smtp-ca.pem"
        configuration.tls = .required(tls)
        configuration.timeouts.connect = .seconds(30)
        configuration.timeouts.greeting = .seconds(60)
        configuration.timeouts.tlsHandshake = .seconds(20)
        configuration.timeouts.command = .seconds(60)
        configuration.timeouts.dataInitiation = .seconds(60)
        configuration.timeouts.dataBlock = .seconds(120)
        configuration.timeouts.endOfData = .seconds(600)
        configuration.timeouts.message = .seconds(900)
        let client = SMTPClient(configuration: configuration, connector: connector.connector)

        let sending = Task { try await client.send(message) }
        let stream = await connector.next()
        try await Script.greet(stream, extensions: ["STARTTLS", "PIPELINING"])
        #expect(try await stream.nextLine() == "STARTTLS")
        stream.send("220 go\r\n")
        _ = try await stream.nextLine()
        stream.send(Script.ehloReply(["PIPELINING", "AUTH PLAIN"]))
        _ = try await stream.nextLine()
        stream.send("235 ok\r\n")
        _ = try await Script.acceptMessage(stream, recipients: 2, queueID: "DOC1")
        let report = try await sending.value
        #expect(report.queueID == "DOC1")

        let outcome = Task { () -> SMTPError.Kind? in try await Self.outcomesExample(client, message) }
        for _ in 0..<4 { _ = try await stream.nextLine() }
        stream.send("451 4.3.0 try later\r\n503 no\r\n503 no\r\n503 no\r\n")
        #expect(try await outcome.value == .transient)
        let closing = Task { await client.shutdown() }
        #expect(try await stream.nextLine() == "QUIT")
        stream.send("221 bye\r\n")
        await closing.value
    }

    @Test("the batch example compiles and runs; a broken batch marks the rest safe to resend")
    func batch() async throws {
        let stream = ScriptedByteStream()
        let connection = try await Script.connection(stream)
        let messages = try [Script.message(), Script.message()]
        let sending = Task { () async -> Int in
            let results = await connection.send(batch: messages)
            var resendable = 0
            for case .failure(let error) in results where error.connectionFoundDead {
                resendable += 1
                _ = error.detail
            }
            return resendable
        }
        for _ in 0..<3 { _ = try await stream.nextLine() }
        stream.send("250 OK\r\n250 OK\r\n354 go\r\n")
        _ = try await stream.nextData()
        stream.closeFromPeer()
        #expect(await sending.value == 1)
        #expect(SMTPError.retryDecision(for: SMTPError.invalid("to", "bad")) == .stop)
    }

    /// Docs/smtp.md "Outcomes" as written there, inside an `async throws` function (where a
    /// `catch let error as SMTPError` once crashed the compiler).
    static func outcomesExample(_ client: SMTPClient, _ message: OutgoingMessage) async throws -> SMTPError.Kind? {
        do throws(SMTPError) {
            _ = try await client.send(message)
        } catch {
            switch error.kind {
            case .transient: print("retry later", error.retryAfterHint ?? .seconds(300))
            case .permanent: print("give up:", error.replyCode ?? 0, error.enhancedCode?.description ?? "")
            case .ambiguous: print("may have been delivered: do not resend blindly")
            default: print("not sent:", error.code, "in", error.phase)
            }
            return error.kind
        }
        return nil
    }
}
