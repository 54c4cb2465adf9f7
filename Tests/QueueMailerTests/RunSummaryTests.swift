import Foundation
import QueueMailerCore
import Testing

/// The run summary, the metrics, the result rows and the log lines say the same thing (issue #6).
@Suite("Run summary and metrics agree")
struct RunSummaryTests {
    private static let classifier = OutcomeClassifier(maximumHint: .seconds(60)) { _ in .seconds(1) }

    private static func claimed(attempt: Int, of maxAttempts: Int) -> ClaimedRequest {
        ClaimedRequest(
            id: 7, attempt: attempt, maxAttempts: maxAttempts, messageID: "<7@test>",
            request: .success(sampleRequest("summary")))
    }

    @Test("a transient reply on the last attempt is recorded as failed, with no retry time")
    func lastTransientAttemptFails() {
        let report = DeliveryReport(verdict: .transient(hint: nil), code: 451, detail: "451 4.3.0 try later")
        let result = Self.classifier.result(for: Self.claimed(attempt: 2, of: 2), report: report)
        #expect(result.outcome == .failed)
        #expect(result.nextState == "failed")
        #expect(result.retryAfter == .zero)
        #expect(result.detail == "no attempts left (2); last: 451 4.3.0 try later")
        #expect(result.lastError == result.detail)
        let earlier = Self.classifier.result(for: Self.claimed(attempt: 1, of: 2), report: report)
        #expect(earlier.outcome == .retry && earlier.nextState == "ready" && earlier.retryAfter == .seconds(1))
    }

    @Test("a deferred attempt is marked deferred and released, counted once")
    func deferredIsMarked() {
        let result = Self.classifier.deferred(Self.claimed(attempt: 1, of: 2), reason: "relay down")
        #expect(result.deferred && result.released && result.nextState == "ready")
    }

    @Test("against a relay answering 451, the summary, metrics, rows and log agree on retried and failed")
    func transientRelayCounts() async throws {
        try await withFixture(.sqlite) { fixture in
            let relay = try ScriptedRelay(.init(recipientReply: { _, _ in "451 4.3.0 try again later" }))
            _ = try await fixture.store().enqueue([sampleRequest("one-attempt")], defaultMaxAttempts: 1)
            _ = try await fixture.store().enqueue([sampleRequest("two-attempts")], defaultMaxAttempts: 2)
            let harness = ServiceHarness()
            let counts = try await harness.run(fixture, relay: relay)
            #expect(counts.retried == 1 && counts.failed == 2 && counts.released == 0, "\(counts)")
            #expect(harness.metrics.value(of: .retried) == counts.retried)
            #expect(harness.metrics.value(of: .failed) == counts.failed)
            let outcomes = try await fixture.rows(
                "SELECT outcome FROM \(fixture.schema.resultTable) ORDER BY request_id, attempt")
            #expect(outcomes.map { $0[0] } == ["failed", "retry", "failed"])
            #expect(try await fixture.store().status().resultsByOutcome == ["retry": 1, "failed": 2])
            let attempts = harness.logs.lines.filter { $0.contains("event=attempt") }
            #expect(attempts.count == 3)
            #expect(attempts.filter { $0.contains("state=failed") }.allSatisfy { $0.contains("retry_in=-") })
            #expect(attempts.filter { $0.contains("state=ready") }.allSatisfy { !$0.contains("retry_in=-") })
        }
    }
}
