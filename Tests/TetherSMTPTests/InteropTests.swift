import Foundation
import Testing
import TetherNet
import TetherTestKit

@testable import TetherSMTP

/// Sessions against the aiosmtpd servers `scripts/with-test-servers.sh` starts; the stored
/// copy of each message is compared byte for byte with what was sent.
@Suite("Interop with aiosmtpd")
struct InteropTests {
    static let servers = TestServers.current

    /// A message with everything that tends to break: a UTF-8 subject, a long line, leading
    /// dots, bare line endings, an attachment.
    static func awkwardEmail(to recipients: [String]) throws -> Email {
        var email = Email(from: try EmailAddress("sender@tether.test"), subject: "Grüße aus Köln – 東京 ✓ interop")
        email.to = try recipients.map { try EmailAddress($0) }
        email.text =
            ".leading dot\n.\n..two dots\nbare\rCR and \r\n" + String(repeating: "long-line-", count: 150)
            + "\nend\n"
        email.html = "<p>Grüße</p>\n." + String(repeating: "<b>x</b>", count: 200)
        email.attachments = [
            Attachment(filename: "data.bin", content: (0..<3000).map { UInt8(truncatingIfNeeded: $0 * 7) }),
            Attachment(filename: "Übersicht.txt", contentType: "text/plain", content: Array("ä\n.\n".utf8)),
        ]
        return email
    }

    /// The stored `.eml` whose Message-ID is `messageID`.
    static func stored(in directory: String, messageID: String) throws -> [UInt8] {
        let needle = Data("<\(messageID)>".utf8)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".eml") {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(name))
            if data.range(of: needle) != nil { return Array(data) }
        }
        throw StoredMessageMissing(messageID: messageID, directory: directory)
    }

    struct StoredMessageMissing: Error {
        let messageID: String
        let directory: String
    }

    @Test(
        "completes an SMTP exchange with the plain aiosmtpd; the stored copy matches byte for byte",
        .enabled(if: servers.shouldRun(.plainSMTP), Comment(rawValue: TestServers.skipMessage(.plainSMTP))))
    func plain() async throws {
        var configuration = SMTPConfiguration(
            host: try Self.servers.value("TETHER_SMTP_PLAIN_HOST"),
            port: try Self.servers.port("TETHER_SMTP_PLAIN_PORT"))
        configuration.tls = .none
        let client = SMTPClient(configuration: configuration)
        let email = try Self.awkwardEmail(to: ["ada@tether.test", "bob@tether.test"])
        let message = try OutgoingMessage(email)
        let report = try await client.send(message)
        #expect(report.accepted.count == 2 && report.queueID?.hasPrefix("T") == true)
        let stored = try Self.stored(in: try Self.servers.value("TETHER_SMTP_PLAIN_STORE"), messageID: email.messageID)
        #expect(stored == message.content)
        let second = try await client.send(try OutgoingMessage(try Self.awkwardEmail(to: ["ada@tether.test"])))
        #expect(second.accepted.count == 1 && client.idleConnections == 1)
        await client.shutdown()
    }

    @Test(
        "S14: one of three recipients refused by aiosmtpd; the other two get the message",
        .enabled(if: servers.shouldRun(.plainSMTP), Comment(rawValue: TestServers.skipMessage(.plainSMTP))))
    func partial() async throws {
        var configuration = SMTPConfiguration(
            host: try Self.servers.value("TETHER_SMTP_PLAIN_HOST"),
            port: try Self.servers.port("TETHER_SMTP_PLAIN_PORT"))
        configuration.tls = .none
        let connection = try await SMTPConnection.connect(configuration)
        let email = try Self.awkwardEmail(to: ["a@tether.test", "rejected@tether.test", "c@tether.test"])
        let report = try await connection.send(try OutgoingMessage(email))
        #expect(report.accepted.map(\.recipient.address) == ["a@tether.test", "c@tether.test"])
        #expect(report.rejected.first?.reply.code == 550)
        #expect(report.rejected.first?.reply.enhancedCode?.description == "5.1.1")
        var strict = try OutgoingMessage(email)
        strict.recipientPolicy = .allOrNothing
        let error = await #expect(throws: SMTPError.self) { try await connection.send(strict) }
        #expect(error?.code == .recipientsRejected && error?.kind == .permanent)
        #expect(
            try await connection.send(try OutgoingMessage(try Self.awkwardEmail(to: ["d@tether.test"]))).accepted.count
                == 1)
        await connection.quit()
    }

    func secureConfiguration(password: String? = nil) throws -> SMTPConfiguration {
        var configuration = SMTPConfiguration(
            host: try Self.servers.value("TETHER_SMTP_TLS_HOST"), port: try Self.servers.port("TETHER_SMTP_TLS_PORT"))
        var tls = TLSConfiguration()
        tls.trustRootsFile = try Self.servers.value("TETHER_SMTP_TLS_CA")
        configuration.tls = .required(tls)
        configuration.credentials = .plain(
            user: try Self.servers.value("TETHER_SMTP_TLS_USER"),
            password: try password ?? Self.servers.value("TETHER_SMTP_TLS_PASSWORD"))
        return configuration
    }

    @Test(
        "completes an SMTP exchange with STARTTLS and AUTH on the secure aiosmtpd; the stored copy matches",
        .enabled(if: servers.shouldRun(.secureSMTP), Comment(rawValue: TestServers.skipMessage(.secureSMTP))))
    func secure() async throws {
        let recorder = EventRecorder()
        let connection = try await SMTPConnection.connect(try secureConfiguration(), delegate: recorder)
        #expect(connection.isSecure)
        let email = try Self.awkwardEmail(to: ["ada@tether.test"])
        let message = try OutgoingMessage(email)
        _ = try await connection.send(message)
        await connection.quit()
        let stored = try Self.stored(in: try Self.servers.value("TETHER_SMTP_TLS_STORE"), messageID: email.messageID)
        #expect(stored == message.content)
        let events = recorder.descriptions.joined(separator: "\n")
        #expect(events.contains("tlsEstablished") && events.contains("authenticated"))
        #expect(!events.contains(try Self.servers.value("TETHER_SMTP_TLS_PASSWORD")))
    }

    @Test(
        "a bad password on the secure aiosmtpd is a permanent authentication failure",
        .enabled(if: servers.shouldRun(.secureSMTP), Comment(rawValue: TestServers.skipMessage(.secureSMTP))))
    func badPassword() async throws {
        let configuration = try secureConfiguration(password: "not-the-password")
        let error = await #expect(throws: SMTPError.self) { try await SMTPConnection.connect(configuration) }
        #expect(error?.code == .authenticationFailed && error?.kind == .permanent && error?.replyCode == 535)
        #expect(error?.description.contains("not-the-password") == false)
    }

    @Test(
        "the secure aiosmtpd refuses mail before STARTTLS; TLS policy none cannot authenticate there",
        .enabled(if: servers.shouldRun(.secureSMTP), Comment(rawValue: TestServers.skipMessage(.secureSMTP))))
    func plaintextToSecure() async throws {
        var configuration = try secureConfiguration()
        configuration.tls = .none
        let error = await #expect(throws: SMTPError.self) { try await SMTPConnection.connect(configuration) }
        #expect(error?.code == .authenticationRequiresTLS)
    }
}
