import Foundation
import QueueMailerCore
import Testing
import TetherODBC

/// The store's behaviours, run against each database by the suites below.
enum QueueStoreScenarios {
    static func migrateIsIdempotent(_ fixture: StoreFixture) async throws {
        let again = try await fixture.store().migrate()
        #expect(again.from == Schema.latestVersion)
        #expect(again.to == Schema.latestVersion)
        try await fixture.store().requireCurrentSchema()
    }

    static func enqueueSkipsKnownKeys(_ fixture: StoreFixture) async throws {
        let store = fixture.store()
        let stored = try await store.enqueue([sampleRequest("a"), sampleRequest("b")], defaultMaxAttempts: 5)
        #expect(stored == [true, true])
        let again = try await store.enqueue([sampleRequest("b"), sampleRequest("c")], defaultMaxAttempts: 5)
        #expect(again == [false, true])
        #expect(try await store.status().requestsByState["ready"] == 3)
    }

    static func claimLeasesInPriorityOrder(_ fixture: StoreFixture) async throws {
        let store = fixture.store()
        _ = try await store.enqueue(
            [sampleRequest("low", priority: 0), sampleRequest("high", priority: 9)], defaultMaxAttempts: 5)
        let first = try await store.claim(limit: 1)
        #expect(first.count == 1)
        let claimed = try #require(first.first)
        #expect(try claimed.request.get().idempotencyKey == "high")
        #expect(claimed.attempt == 1)
        #expect(!claimed.messageID.isEmpty)
        #expect(try await store.claim(limit: 5).count == 1)
        #expect(try await store.claim(limit: 5).isEmpty)
        let leases = try await store.status().leases
        #expect(leases.count == 1)
        #expect(leases.first?.owner == "test-instance")
        #expect(leases.first?.held == 2)
    }

    static func claimedRequestRoundTrips(_ fixture: StoreFixture) async throws {
        let store = fixture.store()
        let lines = try Samples.requestLines().filter { !$0.contains("bad-address") }
        let requests = try lines.map { try SendRequest.parse(line: $0) }
        _ = try await store.enqueue(requests, defaultMaxAttempts: 5)
        let claimed = try await store.claim(limit: 100)
        #expect(claimed.count == requests.count)
        for item in claimed {
            var read = try item.request.get()
            let original = try #require(requests.first { $0.idempotencyKey == read.idempotencyKey })
            #expect(read.messageID == item.messageID)
            read.messageID = original.messageID
            read.maxAttempts = original.maxAttempts
            #expect(read == original, "\(original.idempotencyKey)")
        }
    }

    static func writesAreFencedByAttempt(_ fixture: StoreFixture) async throws {
        let store = fixture.store()
        _ = try await store.enqueue([sampleRequest("f")], defaultMaxAttempts: 5)
        let claimed = try #require(try await store.claim(limit: 1).first)
        var stale = AttemptResult(
            requestID: claimed.id, attempt: claimed.attempt + 1, maxAttempts: 5, outcome: .failed, detail: "stale")
        #expect(try await store.write([stale]) == 0)
        #expect(try await store.status().requestsByState["running"] == 1)
        stale.attempt = claimed.attempt
        stale.outcome = .sent
        stale.smtpCode = 250
        stale.detail = "OK queued"
        #expect(try await store.write([stale]) == 1)
        #expect(try await store.status().requestsByState["done"] == 1)
        #expect(try await store.sentAttempt(requestID: claimed.id) == claimed.attempt)
        #expect(try await store.write([stale]) == 0, "writing the same result twice changes nothing")
    }

    static func retryWaitsAndReleaseKeepsAttempts(_ fixture: StoreFixture) async throws {
        let store = fixture.store()
        _ = try await store.enqueue([sampleRequest("r"), sampleRequest("s")], defaultMaxAttempts: 1)
        let claimed = try await store.claim(limit: 2)
        var retry = AttemptResult(
            requestID: claimed[0].id, attempt: 1, maxAttempts: 2, outcome: .retry, smtpCode: 451, detail: "busy")
        retry.retryAfter = .seconds(3600)
        var release = AttemptResult(requestID: claimed[1].id, attempt: 1, maxAttempts: 1, outcome: .retry, detail: "x")
        release.released = true
        #expect(try await store.write([retry, release]) == 2)
        let again = try await store.claim(limit: 5)
        #expect(again.map(\.id) == [claimed[1].id], "the retry waits an hour; the released one is ready now")
        #expect(again.first?.attempt == 2)
        #expect(again.first?.maxAttempts == 2, "a release adds the attempt it used back")
    }

    static func reaperRequeuesExpiredLeases(_ fixture: StoreFixture) async throws {
        let dead = fixture.store(owner: "dead-instance", lease: .milliseconds(1))
        _ = try await dead.enqueue([sampleRequest("lost")], defaultMaxAttempts: 5)
        let claimed = try #require(try await dead.claim(limit: 1).first)
        try await Task.sleep(for: .milliseconds(20))
        let reaper = fixture.store(owner: "reaper-instance")
        #expect(try await reaper.reapExpired() == 1)
        #expect(try await reaper.reapExpired() == 0)
        let rows = try await fixture.rows(
            "SELECT outcome, source, worker FROM \(fixture.schema.resultTable) WHERE request_id = ?", [.int(claimed.id)]
        )
        #expect(rows == [["unknown", "reaper", "reaper-instance"]])
        // The dead instance comes back and reports it had sent: its row replaces the reaper's,
        // the state stays with the queue, and the next claim sees the send and does not resend.
        var late = AttemptResult(requestID: claimed.id, attempt: 1, maxAttempts: 5, outcome: .sent, detail: "250 OK")
        late.smtpCode = 250
        #expect(try await dead.write([late]) == 0)
        let next = try #require(try await reaper.claim(limit: 1).first)
        #expect(next.attempt == 2)
        #expect(try await reaper.sentAttempt(requestID: next.id) == 1)
    }

    static func badRowFailsWithReason(_ fixture: StoreFixture) async throws {
        let store = fixture.store()
        try await fixture.execute(
            """
            INSERT INTO \(fixture.schema.requestTable) (idempotency_key, message_id, mail_from, rcpt_to, body_text)
            VALUES ('bad-row', 'x@example.com', 'shop@example.com', '["not an address"]', 'hi')
            """)
        let claimed = try #require(try await store.claim(limit: 1).first)
        guard case .failure(let error) = claimed.request else {
            Issue.record("a row with a bad recipient decoded")
            return
        }
        #expect(error.field == "to[0]")
    }

    static func statusAndRequeue(_ fixture: StoreFixture) async throws {
        let store = fixture.store()
        _ = try await store.enqueue(
            [sampleRequest("x"), sampleRequest("y"), sampleRequest("z")], defaultMaxAttempts: 1)
        let claimed = try await store.claim(limit: 3)
        let results = zip(claimed, [AttemptOutcome.failed, .unknown, .sent]).map { item, outcome in
            AttemptResult(requestID: item.id, attempt: 1, maxAttempts: 1, outcome: outcome, detail: "\(outcome)")
        }
        _ = try await store.write(results)
        let status = try await store.status()
        #expect(status.requestsByState == ["failed": 1, "unknown": 1, "done": 1])
        #expect(status.resultsByOutcome == ["failed": 1, "unknown": 1, "sent": 1])
        var byState = MailerCommand.RequeueOptions()
        byState.state = "unknown"
        #expect(try await store.requeue(byState) == 1)
        var byID = MailerCommand.RequeueOptions()
        byID.ids = claimed.map(\.id)
        byID.attempts = 2
        #expect(try await store.requeue(byID) == 1, "only the failed one is left to requeue; done is never requeued")
        let after = try await store.status()
        #expect(after.requestsByState == ["ready": 2, "done": 1])
        #expect(after.oldestReady != nil)
    }

    static func gaugesCountDepthAndOldestWait(_ fixture: StoreFixture) async throws {
        let store = fixture.store()
        let empty = try await store.gauges()
        #expect(empty.depth == 0 && empty.oldestReadySeconds == 0, "\(empty)")
        _ = try await store.enqueue([sampleRequest("waited"), sampleRequest("later")], defaultMaxAttempts: 5)
        let shifted = { (shift: String) in
            fixture.dialect == .sqlite
                ? "strftime('%Y-%m-%d %H:%M:%f', 'now', '\(shift)')" : "now() + interval '\(shift)'"
        }
        let (past, future) = (shifted("-120 seconds"), shifted("+1 hour"))
        let table = fixture.schema.requestTable
        try await fixture.execute("UPDATE \(table) SET run_at = \(past) WHERE idempotency_key = 'waited'")
        try await fixture.execute("UPDATE \(table) SET run_at = \(future) WHERE idempotency_key = 'later'")
        let gauges = try await store.gauges()
        #expect(gauges.depth == 2, "a request due later still counts in the depth")
        #expect((120...180).contains(gauges.oldestReadySeconds), "only the due one has waited: \(gauges)")
    }

    /// SQLite compares run times as text and computes the wait from their value: a run time
    /// written by hand with a zone is "due" yet later than now. Neither figure goes below zero.
    static func waitNeverNegative(_ fixture: StoreFixture) async throws {
        let store = fixture.store()
        _ = try await store.enqueue([sampleRequest("zoned")], defaultMaxAttempts: 5)
        try await fixture.execute(
            "UPDATE \(fixture.schema.requestTable) SET run_at = "
                + "strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 hour') || '-08:00'")
        let status = try await store.status()
        #expect(status.oldestReady?.seconds == 0, "\(String(describing: status.oldestReady))")
        #expect(try await store.gauges().oldestReadySeconds == 0)
    }

    /// A run time long ago, written by hand (PostgreSQL's `-infinity`, a year-one date on
    /// SQLite), is a ready request whose wait both figures report as the longest they give.
    static func waitOfRunTimeLongAgo(_ fixture: StoreFixture) async throws {
        let store = fixture.store()
        _ = try await store.enqueue([sampleRequest("always due")], defaultMaxAttempts: 5)
        let longAgo = fixture.dialect == .sqlite ? "'0001-01-01 00:00:00.000'" : "'-infinity'"
        try await fixture.execute("UPDATE \(fixture.schema.requestTable) SET run_at = \(longAgo)")
        let status = try await store.status()
        let oldest = status.oldestReady?.seconds
        #expect(oldest == QueueStore.longestWaitSeconds, "\(String(describing: oldest))")
        #expect(try await store.gauges().oldestReadySeconds == QueueStore.longestWaitSeconds)
        #expect(StatusReport.table(status, queue: "default").contains("waiting 3153600000s"))
    }
}

@Suite("QueueStore on SQLite")
struct SQLiteQueueStoreTests {
    @Test("migrate twice leaves the latest version") func migrate() async throws {
        try await withFixture(.sqlite, QueueStoreScenarios.migrateIsIdempotent)
    }
    @Test("enqueue skips known idempotency keys") func enqueue() async throws {
        try await withFixture(.sqlite, QueueStoreScenarios.enqueueSkipsKnownKeys)
    }
    @Test("claim leases in priority order, each request once") func claim() async throws {
        try await withFixture(.sqlite, QueueStoreScenarios.claimLeasesInPriorityOrder)
    }
    @Test("every sample survives enqueue and claim") func roundTrip() async throws {
        try await withFixture(.sqlite, QueueStoreScenarios.claimedRequestRoundTrips)
    }
    @Test("state changes are fenced by attempt") func fencing() async throws {
        try await withFixture(.sqlite, QueueStoreScenarios.writesAreFencedByAttempt)
    }
    @Test("a retry waits; a release does not use up an attempt") func retry() async throws {
        try await withFixture(.sqlite, QueueStoreScenarios.retryWaitsAndReleaseKeepsAttempts)
    }
    @Test("the reaper requeues expired leases and records unknown") func reaper() async throws {
        try await withFixture(.sqlite, QueueStoreScenarios.reaperRequeuesExpiredLeases)
    }
    @Test("M5: a row with bad data decodes to a failure naming the field") func badRow() async throws {
        try await withFixture(.sqlite, QueueStoreScenarios.badRowFailsWithReason)
    }
    @Test("status counts and requeue") func status() async throws {
        try await withFixture(.sqlite, QueueStoreScenarios.statusAndRequeue)
    }
    @Test("the gauges a running instance writes: depth and the oldest ready request's wait")
    func gauges() async throws {
        try await withFixture(.sqlite, QueueStoreScenarios.gaugesCountDepthAndOldestWait)
    }
    @Test("the oldest ready request's wait is never negative") func waitNeverNegative() async throws {
        try await withFixture(.sqlite, QueueStoreScenarios.waitNeverNegative)
    }
    @Test("a run time long ago reads as the longest wait") func waitLongAgo() async throws {
        try await withFixture(.sqlite, QueueStoreScenarios.waitOfRunTimeLongAgo)
    }
}

@Suite(
    "QueueStore on PostgreSQL",
    .enabled(if: TestServersGate.postgres, Comment(rawValue: TestServersGate.postgresMessage)))
struct PostgresQueueStoreTests {
    @Test("migrate twice leaves the latest version") func migrate() async throws {
        try await withFixture(.postgresql, QueueStoreScenarios.migrateIsIdempotent)
    }
    @Test("enqueue skips known idempotency keys") func enqueue() async throws {
        try await withFixture(.postgresql, QueueStoreScenarios.enqueueSkipsKnownKeys)
    }
    @Test("claim leases in priority order, each request once") func claim() async throws {
        try await withFixture(.postgresql, QueueStoreScenarios.claimLeasesInPriorityOrder)
    }
    @Test("every sample survives enqueue and claim") func roundTrip() async throws {
        try await withFixture(.postgresql, QueueStoreScenarios.claimedRequestRoundTrips)
    }
    @Test("state changes are fenced by attempt") func fencing() async throws {
        try await withFixture(.postgresql, QueueStoreScenarios.writesAreFencedByAttempt)
    }
    @Test("a retry waits; a release does not use up an attempt") func retry() async throws {
        try await withFixture(.postgresql, QueueStoreScenarios.retryWaitsAndReleaseKeepsAttempts)
    }
    @Test("the reaper requeues expired leases and records unknown") func reaper() async throws {
        try await withFixture(.postgresql, QueueStoreScenarios.reaperRequeuesExpiredLeases)
    }
    @Test("M5: a row with bad data decodes to a failure naming the field") func badRow() async throws {
        try await withFixture(.postgresql, QueueStoreScenarios.badRowFailsWithReason)
    }
    @Test("status counts and requeue") func status() async throws {
        try await withFixture(.postgresql, QueueStoreScenarios.statusAndRequeue)
    }
    @Test("the gauges a running instance writes: depth and the oldest ready request's wait")
    func gauges() async throws {
        try await withFixture(.postgresql, QueueStoreScenarios.gaugesCountDepthAndOldestWait)
    }
    @Test("a run time of -infinity reads as the longest wait, not a failed status")
    func waitLongAgo() async throws {
        try await withFixture(.postgresql, QueueStoreScenarios.waitOfRunTimeLongAgo)
    }
}
