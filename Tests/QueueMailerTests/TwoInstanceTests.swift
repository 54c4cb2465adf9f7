import QueueMailerCore
import Testing

enum TwoInstanceScenario {
    /// M4: two instances on one queue: each request is claimed by one at a time and sent once.
    static func twoInstancesShareOneQueue(_ fixture: StoreFixture) async throws {
        let relay = try ScriptedRelay(.init(finalReplyDelay: .milliseconds(20)))
        _ = try await fixture.store().enqueue((1...40).map { sampleRequest("m4-\($0)") }, defaultMaxAttempts: 5)
        // Small batches and channels: backpressure keeps one instance from holding the whole
        // queue, so both take part.
        var first = ServiceHarness()
        first.owner = "instance-a"
        first.queue.batchSize = 2
        first.queue.requestChannelCapacity = 2
        var second = first
        second.owner = "instance-b"
        second.logs = LogCapture()
        async let a = first.run(fixture, relay: relay)
        async let b = second.run(fixture, relay: relay)
        let (countsA, countsB) = try await (a, b)
        #expect(countsA.sent + countsB.sent == 40)
        #expect(
            countsA.claimed > 0 && countsB.claimed > 0,
            "both instances took part: \(countsA.claimed) and \(countsB.claimed)")
        let ids = relay.messages.compactMap(\.messageID)
        #expect(ids.count == 40)
        #expect(Set(ids).count == 40, "no request was sent twice")
        let results = try await fixture.rows(
            "SELECT outcome, COUNT(*) FROM \(fixture.schema.resultTable) GROUP BY outcome")
        #expect(results == [["sent", "40"]], "one attempt per request, each sent")
        let workers = try await fixture.rows(
            "SELECT worker, COUNT(*) FROM \(fixture.schema.resultTable) GROUP BY worker ORDER BY worker")
        #expect(workers.map { $0[0] } == ["instance-a", "instance-b"])
        try await expectQueueSettled(fixture)
    }
}

extension MailerIntegration {
    @Suite(
        "M4: two instances on one PostgreSQL queue",
        .enabled(if: TestServersGate.postgres, Comment(rawValue: TestServersGate.postgresMessage)))
    struct PostgresTwoInstanceTests {
        @Test("M4: each request is claimed by one instance and sent once") func m4() async throws {
            try await withFixture(.postgresql, TwoInstanceScenario.twoInstancesShareOneQueue)
        }
    }
}

extension MailerIntegration {
    @Suite("M4: two instances on one SQLite queue")
    struct SQLiteTwoInstanceTests {
        @Test("M4: BEGIN IMMEDIATE keeps two instances apart too") func m4() async throws {
            try await withFixture(.sqlite, TwoInstanceScenario.twoInstancesShareOneQueue)
        }
    }
}
