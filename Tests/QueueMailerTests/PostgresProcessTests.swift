import Foundation
import QueueMailerCore
import Testing
import TetherTestKit

extension MailerIntegration {
    /// The real program twice against one PostgreSQL queue, delivering through the real aiosmtpd.
    @Suite(
        "Two queue-mailer processes on PostgreSQL",
        .enabled(
            if: TestServersGate.postgres && TestServersGate.plainSMTP,
            Comment(rawValue: TestServersGate.postgresMessage)))
    struct PostgresProcessTests {
        @Test("M4: two processes run --until-empty on one queue; each request is delivered once")
        func twoProcesses() async throws {
            let servers = TestServers.current
            let fixture = try await StoreFixture.make(.postgresql)
            do {
                try await deliver(fixture, servers)
            } catch {
                await fixture.tearDown()
                throw error
            }
            await fixture.tearDown()
        }

        private func deliver(_ fixture: StoreFixture, _ servers: TestServers) async throws {
            let requests = (1...200).map { sampleRequest("proc-\($0)-\(UUID().uuidString.prefix(8))") }
            _ = try await fixture.store().enqueue(requests, defaultMaxAttempts: 3)
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("QUEUE_MAILER_") }
            environment["QUEUE_MAILER_DATABASE_CONNECT_STRING"] = fixture.connectString
            environment["QUEUE_MAILER_DATABASE_SCHEMA"] = String(fixture.schema.prefix.dropLast())
            environment["QUEUE_MAILER_RELAY_HOST"] = try servers.value("TETHER_SMTP_PLAIN_HOST")
            environment["QUEUE_MAILER_RELAY_PORT"] = String(try servers.port("TETHER_SMTP_PLAIN_PORT"))
            environment["QUEUE_MAILER_RELAY_TLS"] = "none"
            environment["QUEUE_MAILER_QUEUE_BATCH_SIZE"] = "2"
            environment["QUEUE_MAILER_QUEUE_REQUEST_CHANNEL_CAPACITY"] = "2"
            environment["QUEUE_MAILER_QUEUE_POLL_INTERVAL"] = "50ms"
            let directory = NSTemporaryDirectory()
            let logs = (0..<2).map { "\(directory)/queue-mailer-pg-\($0)-\(UUID().uuidString).log" }
            defer { for log in logs { try? FileManager.default.removeItem(atPath: log) } }
            let pids = try logs.map {
                try ChildProcess.spawn(SignalTests.binary, ["run", "--until-empty"], environment: environment, log: $0)
            }
            for (pid, log) in zip(pids, logs) {
                let status = await ChildProcess.wait(pid)
                #expect(status == 0, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
            let status = try await fixture.store().status()
            #expect(status.requestsByState == ["done": 200])
            #expect(status.resultsByOutcome == ["sent": 200], "one attempt per request")
            let workers = try await fixture.rows("SELECT COUNT(DISTINCT worker) FROM \(fixture.schema.resultTable)")
            #expect(workers == [["2"]], "both processes sent")
            let ids = Set(
                try await fixture.rows("SELECT message_id FROM \(fixture.schema.requestTable)").compactMap { $0[0] })
            let stored = try await StoredMessage.list(in: try servers.value("TETHER_SMTP_PLAIN_STORE"))
            let arrivals = stored.filter { ids.contains($0.messageID) }.map(\.messageID)
            #expect(arrivals.count == 200, "every request arrived at the relay once")
            #expect(Set(arrivals) == ids)
            try await expectQueueSettled(fixture)
        }
    }
}
