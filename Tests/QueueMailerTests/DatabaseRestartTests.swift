import Foundation
import QueueMailerCore
import Testing

extension MailerIntegration {
    /// M7 on a PostgreSQL cluster of the test's own, so stopping it disturbs no other test.
    @Suite(
        "M7: PostgreSQL restarted during a run",
        .enabled(if: TestServersGate.postgres, Comment(rawValue: TestServersGate.postgresMessage)))
    struct DatabaseRestartTests {
        @Test("M7: the mailer reconnects, resumes claiming, and writes the results held meanwhile")
        func databaseRestart() async throws {
            try await PrivateServers.with(restartScenario)
        }

        private func restartScenario(_ servers: PrivateServers) async throws {
            let connectString = try #require(servers.environment["TETHER_PG_DSN"])
            let fixture = try await StoreFixture.make(postgres: connectString)
            _ = try await fixture.store().enqueue((1...30).map { sampleRequest("m7-\($0)") }, defaultMaxAttempts: 5)
            let relay = try ScriptedRelay(.init(finalReplyDelay: .milliseconds(40)))
            var harness = ServiceHarness()
            harness.queue.concurrency = 2
            harness.queue.lease = .seconds(5)
            let counts = try await harness.run(fixture, relay: relay) { service in
                while service.counts.sent < 5 { try? await Task.sleep(for: .milliseconds(10)) }
                // pg-ctl.sh restart keeps the cluster's port; the outage lasts the shutdown and start.
                try? await servers.postgres("restart")
                // A watchdog: stop the run if it has not finished long after the database came back.
                let deadline = ContinuousClock.now + .seconds(60)
                while service.counts.sent < 30, ContinuousClock.now < deadline {
                    try? await Task.sleep(for: .milliseconds(50))
                }
                if service.counts.sent < 30 { service.beginShutdown() }
            }
            let logs = harness.logs.lines
            #expect(logs.contains { $0.contains("event=database_lost") })
            #expect(logs.contains { $0.contains("event=database_back") })
            #expect(logs.contains { $0.contains("event=reconnected generation=2") }, "the pool was renewed once back")
            #expect(counts.sent == 30)
            let ids = relay.messages.compactMap(\.messageID)
            #expect(Set(ids).count == 30)
            #expect(ids.count == 30, "nothing was sent twice")
            let reconnected = try await StoreFixture.reconnect(fixture)
            #expect(try await reconnected.store().status().requestsByState == ["done": 30])
            try await expectQueueSettled(reconnected)
            await reconnected.tearDown()
        }
    }
}
