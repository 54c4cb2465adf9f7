import Foundation
import QueueMailerCore
import Testing

/// The mail queue cases (../shared/cases/mailer.md), run by the suites below against each database.
enum MailerCaseScenarios {
    static func enqueue(_ fixture: StoreFixture, _ requests: [SendRequest], maxAttempts: Int = 5) async throws {
        _ = try await fixture.store().enqueue(requests, defaultMaxAttempts: maxAttempts)
    }

    /// M1: the relay closes the connection after every 3 messages during a run of 20.
    static func relayDropsEveryFewMessages(_ fixture: StoreFixture) async throws {
        let relay = try ScriptedRelay(.init(closeAfterMessages: 3))
        let requests = (1...20).map { sampleRequest("m1-\($0)") }
        try await enqueue(fixture, requests)
        let counts = try await ServiceHarness().run(fixture, relay: relay)
        #expect(counts.sent == 20)
        let ids = relay.messages.compactMap(\.messageID)
        #expect(ids.count == 20, "every request sent")
        #expect(Set(ids).count == 20, "none sent twice")
        #expect(relay.connections >= 7, "the relay's closes forced new connections")
        #expect(try await fixture.store().status().requestsByState == ["done": 20])
        try await expectQueueSettled(fixture)
    }

    /// M2: the connection drops at DATA twice; every attempt leaves a result row with its reason.
    static func transportErrorsAreRecorded(_ fixture: StoreFixture) async throws {
        let relay = try ScriptedRelay(.init(dropAtData: 2))
        try await enqueue(fixture, [sampleRequest("m2")])
        var harness = ServiceHarness()
        harness.queue.concurrency = 1
        _ = try await harness.run(fixture, relay: relay)
        let rows = try await fixture.rows(
            "SELECT attempt, outcome, reply_text FROM \(fixture.schema.resultTable) ORDER BY attempt")
        #expect(rows.map { $0[1] } == ["retry", "retry", "sent"])
        #expect(rows.prefix(2).allSatisfy { ($0[2] ?? "").contains("data") }, "\(rows)")
        #expect(relay.messages.count == 1)
        try await expectQueueSettled(fixture)
    }

    /// M3: 451 with a hint is retried no earlier than the hint; 550 fails with the reply text.
    static func transientAndPermanentReplies(_ fixture: StoreFixture) async throws {
        let relay = try ScriptedRelay(
            .init(recipientReply: { address, attempt in
                if address.hasPrefix("greylisted"), attempt == 1 {
                    return "451 4.7.1 Greylisted, try again in 1 second"
                }
                if address.hasPrefix("nobody") { return "550 5.1.1 <\(address)>: no such user" }
                return nil
            }))
        try await enqueue(
            fixture,
            [
                sampleRequest("m3-grey", to: "greylisted@example.org"),
                sampleRequest("m3-gone", to: "nobody@example.org"),
            ])
        let counts = try await ServiceHarness().run(fixture, relay: relay)
        #expect(counts.sent == 1)
        #expect(counts.failed == 1)
        #expect(counts.retried == 1)
        let results = fixture.schema.resultTable
        let requests = fixture.schema.requestTable
        let failed = try await fixture.rows(
            """
            SELECT r.smtp_code, r.enhanced_code, r.reply_text
            FROM \(results) r JOIN \(requests) q ON q.id = r.request_id
            WHERE q.idempotency_key = 'm3-gone'
            """)
        #expect(failed.count == 1)
        #expect(failed.first?[0] == "550")
        #expect(failed.first?[1] == "5.1.1")
        #expect(failed.first?[2]?.contains("no such user") == true)
        let gap = try await fixture.rows(
            """
            SELECT \(fixture.dialect.secondsSince("MIN(r.finished_at)"))
                - \(fixture.dialect.secondsSince("MAX(r.finished_at)"))
            FROM \(results) r JOIN \(requests) q ON q.id = r.request_id WHERE q.idempotency_key = 'm3-grey'
            """)
        let seconds = Double(gap.first?.first.flatMap { $0 } ?? "0") ?? 0
        #expect(seconds >= 0.95, "the retry came \(seconds)s after the 451 that asked for 1s")
        let status = try await fixture.store().status()
        #expect(status.resultsByOutcome == ["retry": 1, "sent": 1, "failed": 1])
        try await expectQueueSettled(fixture)
    }

    /// M5: a row with bad data fails with the reason; the rest of the queue is sent.
    static func badDataFailsAndQueueMovesOn(_ fixture: StoreFixture) async throws {
        let relay = try ScriptedRelay()
        try await fixture.execute(
            """
            INSERT INTO \(fixture.schema.requestTable)
                (idempotency_key, message_id, mail_from, rcpt_to, subject, body_text)
            VALUES ('m5-bad', 'bad@example.com', 'shop@example.com', '["ana@example.org"]', 'line one
            Bcc: smuggled@example.net', 'hi')
            """)
        try await enqueue(fixture, [sampleRequest("m5-good-1"), sampleRequest("m5-good-2")])
        let counts = try await ServiceHarness().run(fixture, relay: relay)
        #expect(counts.sent == 2)
        #expect(counts.failed == 1)
        let bad = try await fixture.rows(
            "SELECT state, last_error FROM \(fixture.schema.requestTable) WHERE idempotency_key = 'm5-bad'")
        #expect(bad.first?[0] == "failed")
        #expect(bad.first?[1]?.contains("bad data") == true)
        #expect(bad.first?[1]?.contains("subject") == true)
        #expect(relay.messages.allSatisfy { !$0.recipients.contains("smuggled@example.net") })
        try await expectQueueSettled(fixture)
    }

    /// M6: the final reply comes after the end-of-data timeout: unknown, and not resent.
    static func slowFinalReplyIsUnknown(_ fixture: StoreFixture) async throws {
        let relay = try ScriptedRelay(.init(silentAfterData: { $0.contains("Subject: Order m6\r\n") }))
        try await enqueue(fixture, [sampleRequest("m6"), sampleRequest("m6-ok")])
        var harness = ServiceHarness()
        harness.relay.endOfDataTimeout = .seconds(1)
        let counts = try await harness.run(fixture, relay: relay)
        #expect(counts.unknown == 1)
        #expect(counts.sent == 1)
        #expect(relay.silentTransactions == 1, "sent once, never resent")
        let row = try await fixture.rows(
            "SELECT state, attempt FROM \(fixture.schema.requestTable) WHERE idempotency_key = 'm6'")
        #expect(row == [["unknown", "1"]])
        try await expectQueueSettled(fixture)
    }

    /// M8 (in process): shutdown while sends are slow: in-flight ones finish, the rest go back.
    static func shutdownReturnsUnfinishedWork(_ fixture: StoreFixture) async throws {
        let relay = try ScriptedRelay(.init(finalReplyDelay: .milliseconds(300)))
        try await enqueue(fixture, (1...12).map { sampleRequest("m8-\($0)") })
        var harness = ServiceHarness()
        harness.queue.concurrency = 2
        harness.queue.shutdownTimeout = .seconds(20)
        let counts = try await harness.run(fixture, relay: relay, untilEmpty: false) { service in
            while service.counts.sent < 2 { try? await Task.sleep(for: .milliseconds(10)) }
            service.beginShutdown()
        }
        #expect(counts.sent >= 2)
        #expect(counts.sent < 12)
        #expect(counts.failed == 0)
        #expect(counts.unknown == 0)
        let status = try await fixture.store().status()
        #expect(status.requestsByState["done"] == counts.sent)
        #expect(status.requestsByState["ready"] == 12 - counts.sent)
        #expect(relay.messages.count == counts.sent)
        try await expectQueueSettled(fixture)
    }
}
