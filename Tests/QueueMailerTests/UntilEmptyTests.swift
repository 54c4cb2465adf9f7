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
}
