import Foundation
import QueueMailerCore
import Testing
import TetherTestKit

extension MailerIntegration {
    /// The relay settings an operator writes for a real relay: STARTTLS required with a private
    /// CA, AUTH with a password read from a file, against aiosmtpd (TETHER_SMTP_TLS_*).
    @Suite(
        "Relay with STARTTLS and AUTH",
        .enabled(if: TestServersGate.secureSMTP, Comment(rawValue: TestServersGate.secureSMTPMessage)))
    struct SecureRelayTests {
        @Test("requests go out over STARTTLS with AUTH, the password read from password_file")
        func starttlsAndAuth() async throws {
            let servers = TestServers.current
            let password = try TemporaryFile(
                try servers.value("TETHER_SMTP_TLS_PASSWORD") + "\n", name: "smtp-password")
            let relay: JSONValue = .object([
                "host": .string(try servers.value("TETHER_SMTP_TLS_HOST")),
                "port": .number(Double(try servers.port("TETHER_SMTP_TLS_PORT"))),
                "tls": .string("required"),
                "ca_file": .string(try servers.value("TETHER_SMTP_TLS_CA")),
                "username": .string(try servers.value("TETHER_SMTP_TLS_USER")),
                "password_file": .string(password.path),
            ])
            let file = try TemporaryFile(JSONValue.object(["relay": relay]).compactText)
            let configuration = try MailerConfiguration.load(file: file.path, environment: [:])
            try await withFixture(.sqlite) { fixture in
                let keys = (1...3).map { "tls-\($0)-\(UUID().uuidString.prefix(8))" }
                _ = try await fixture.store().enqueue(keys.map { sampleRequest($0) }, defaultMaxAttempts: 2)
                var harness = ServiceHarness()
                let timeouts = harness.relay
                harness.relay = configuration.relay
                harness.relay.connectTimeout = timeouts.connectTimeout
                harness.relay.commandTimeout = timeouts.commandTimeout
                let counts = try await harness.run(fixture, connector: .tcp)
                #expect(counts.sent == 3, "\(harness.logs.lines.filter { $0.contains("attempt") })")
                let ids = try await fixture.rows("SELECT message_id FROM \(fixture.schema.requestTable)")
                let stored = try await StoredMessage.all(in: try servers.value("TETHER_SMTP_TLS_STORE"))
                #expect(ids.allSatisfy { stored[$0[0] ?? ""] != nil }, "every message reached the STARTTLS relay")
                try await expectQueueSettled(fixture)
            }
        }

        @Test("a refused password leaves the request ready, uncharged, and is never logged")
        func refusedPassword() async throws {
            let servers = TestServers.current
            var harness = ServiceHarness()
            harness.relay.host = try servers.value("TETHER_SMTP_TLS_HOST")
            harness.relay.port = try servers.port("TETHER_SMTP_TLS_PORT")
            harness.relay.tls = .required
            harness.relay.caFile = try servers.value("TETHER_SMTP_TLS_CA")
            harness.relay.username = try servers.value("TETHER_SMTP_TLS_USER")
            harness.relay.password = Secret("wrong-\(UUID().uuidString)")
            harness.gate.outageLimit = .seconds(1)
            try await withFixture(.sqlite) { fixture in
                _ = try await fixture.store().enqueue([sampleRequest("tls-bad-password")], defaultMaxAttempts: 1)
                let counts = try await harness.run(fixture, connector: .tcp)
                #expect(counts.sent == 0)
                #expect(counts.failed == 0)
                #expect(counts.relayOutageLimitReached)
                let row = try await fixture.rows(
                    "SELECT state, last_error, max_attempts - attempt FROM \(fixture.schema.requestTable)")
                #expect(row.first?[0] == "ready")
                #expect(row.first?[1]?.lowercased().contains("auth") == true, "\(row)")
                #expect(row.first?[2] == "1", "the refused login used up none of its one attempt: \(row)")
                let secret = harness.relay.password?.value ?? ""
                #expect(!harness.logs.lines.contains { $0.contains(secret) })
                try await expectQueueSettled(fixture)
            }
        }
    }
}
