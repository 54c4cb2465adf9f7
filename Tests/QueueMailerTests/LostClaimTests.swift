import Foundation
import QueueMailerCore
import Testing

/// Found by the chaos soak (`make chaos`, a proxy in front of PostgreSQL losing replies): a claim
/// that committed but whose reply never reached the instance stayed `running` for as long as the
/// instance lived, because the heartbeat renewed every lease under the instance's name.
enum LostClaimScenarios {
    /// A claim made under the service's own name that the service never saw (its reply "lost")
    /// runs out its lease, is reaped as unknown, and is then sent by the same instance.
    static func lostClaimIsReapedAndSent(_ fixture: StoreFixture) async throws {
        let relay = try ScriptedRelay()
        try await MailerCaseScenarios.enqueue(fixture, [sampleRequest("lost-claim")])
        var harness = ServiceHarness()
        harness.queue.lease = .milliseconds(900)
        harness.queue.reaperInterval = .milliseconds(100)
        let lost = try await fixture.store(owner: harness.owner, lease: harness.queue.lease).claim(limit: 1)
        #expect(lost.count == 1)
        let requests = fixture.schema.requestTable
        // Bounded: with the lease renewed forever the queue never empties, so stop after 20 s.
        _ = try await harness.run(fixture, relay: relay) { service in
            for _ in 0..<200 {
                let state = try? await fixture.rows("SELECT state FROM \(requests)")
                if state == [["done"]] { return }
                try? await Task.sleep(for: .milliseconds(100))
            }
            service.beginShutdown()
        }
        #expect(try await fixture.rows("SELECT state, attempt FROM \(requests)") == [["done", "2"]])
        let results = try await fixture.rows(
            "SELECT attempt, outcome, source FROM \(fixture.schema.resultTable) ORDER BY attempt")
        #expect(results == [["1", "unknown", "reaper"], ["2", "sent", "worker"]])
        #expect(relay.messages.count == 1)
        try await expectQueueSettled(fixture)
    }
}

extension MailerIntegration {
    @Suite("Lost claim replies")
    struct LostClaimTests {
        @Test("Chaos: a claim whose reply was lost is not renewed, but reaped and sent (SQLite)")
        func sqlite() async throws {
            try await withFixture(.sqlite, LostClaimScenarios.lostClaimIsReapedAndSent)
        }

        @Test(
            "Chaos: a claim whose reply was lost is not renewed, but reaped and sent (PostgreSQL)",
            .enabled(if: TestServersGate.postgres, Comment(rawValue: TestServersGate.postgresMessage)))
        func postgres() async throws {
            try await withFixture(.postgresql, LostClaimScenarios.lostClaimIsReapedAndSent)
        }
    }
}
