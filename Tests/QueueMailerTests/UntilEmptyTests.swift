import QueueMailerCore
import Testing

extension MailerIntegration {
    @Suite("run --until-empty")
    struct UntilEmptyTests {
        @Test("returns once the last result is written, not a poll interval later")
        func returnsAfterLastResult() async throws {
            try await withFixture(.sqlite) { fixture in
                // The claim after the first comes back empty while all four sends wait a second
                // for their final reply: the claimer must look again when those results are written.
                let relay = try ScriptedRelay(.init(finalReplyDelay: .seconds(1)))
                _ = try await fixture.store().enqueue(
                    (1...4).map { sampleRequest("empty-\($0)") }, defaultMaxAttempts: 5)
                var harness = ServiceHarness()
                harness.queue.pollInterval = .seconds(120)
                let clock = ContinuousClock()
                let start = clock.now
                let counts = try await harness.run(fixture, relay: relay)
                #expect(counts.sent == 4)
                #expect(clock.now - start < .seconds(60), "the run waited out the poll interval")
                try await expectQueueSettled(fixture)
            }
        }
    }

    @Suite(
        "A claim's earlier send",
        .enabled(if: TestServersGate.postgres, Comment(rawValue: TestServersGate.postgresMessage)))
    struct EarlierSendTests {
        @Test("a request an earlier attempt sent is done without being sent again")
        func earlierSendIsNotRepeated() async throws {
            try await withFixture(.postgresql) { fixture in
                // A dead instance's lease is reaped, then it reports it had sent: the claim of
                // the next attempt reads that, and the worker records it instead of sending.
                let dead = fixture.store(owner: "dead-instance", lease: .milliseconds(1))
                _ = try await dead.enqueue([sampleRequest("once")], defaultMaxAttempts: 5)
                let lost = try #require(try await dead.claim(limit: 1).first)
                try await Task.sleep(for: .milliseconds(20))
                #expect(try await fixture.store().reapExpired() == 1)
                let late = AttemptResult(
                    requestID: lost.id, attempt: 1, maxAttempts: 5, outcome: .sent, detail: "250 OK")
                #expect(try await dead.write([late]) == 0)
                let relay = try ScriptedRelay()
                let counts = try await ServiceHarness().run(fixture, relay: relay)
                #expect(counts.sent == 1)
                #expect(relay.messages.isEmpty, "the message went out once already")
                let rows = try await fixture.rows(
                    "SELECT attempt, outcome, reply_text FROM \(fixture.schema.resultTable) ORDER BY attempt")
                #expect(
                    rows == [["1", "sent", "250 OK"], ["2", "sent", "already sent by attempt 1; not sent again"]])
                try await expectQueueSettled(fixture)
            }
        }
    }
}
