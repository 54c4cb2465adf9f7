import Testing
import TetherChannels
import TetherLocking

@testable import QueueMailerCore

/// A result the database refuses for good (its request was deleted while it was being sent)
/// must not hold up the result writer, and with it every later result, forever.
enum UnwritableResultScenarios {
    static func deletedRequestDoesNotStopTheWriter(_ fixture: StoreFixture) async throws {
        try await MailerCaseScenarios.enqueue(fixture, [sampleRequest("kept"), sampleRequest("deleted")])
        let store = fixture.store(owner: "writer-test")
        let claimed = try await store.claim(limit: 2)
        #expect(claimed.count == 2)
        let requests = fixture.schema.requestTable
        _ = try await fixture.execute("DELETE FROM \(requests) WHERE idempotency_key = 'deleted'")
        let capture = LogCapture()
        let metrics = MailerMetrics(queue: "default")
        let service = MailerService(
            queue: store, transport: RelayProbeTests.ProbeScript(failures: 0), settings: QueueSettings(),
            classifier: OutcomeClassifier(maximumHint: .seconds(60)) { _ in .seconds(1) },
            databaseBackoff: { _ in .milliseconds(20) }, logger: capture.logger(level: .info), metrics: metrics,
            clock: ContinuousClock())
        let results = BoundedChannel<AttemptResult>(capacity: 4)
        for request in claimed {
            try await results.send(
                AttemptResult(
                    requestID: request.id, attempt: request.attempt, maxAttempts: request.maxAttempts,
                    outcome: .sent, smtpCode: 250, detail: "queued"))
        }
        results.close()
        let finished = Locked(false)
        let writer = Task {
            await service.writeResults(from: results)
            finished.withLock { $0 = true }
        }
        // Polled, not awaited: a writer stuck on the batch retries for ever and would hang the test.
        for _ in 0..<300 where !finished.withLock({ $0 }) {
            try await Task.sleep(for: .milliseconds(100))
        }
        writer.cancel()
        #expect(finished.withLock { $0 }, "the writer kept retrying a batch the database refuses")
        #expect(try await fixture.rows("SELECT idempotency_key, state FROM \(requests)") == [["kept", "done"]])
        #expect(try await fixture.rows("SELECT COUNT(*) FROM \(fixture.schema.resultTable)") == [["1"]])
        #expect(capture.lines.contains { $0.contains("event=result_unwritable") })
        #expect(metrics.value(of: .unwritable) == 1)
    }
}

extension MailerIntegration {
    @Suite("Results the database refuses")
    struct UnwritableResultTests {
        @Test(
            "a result for a request deleted meanwhile is set aside, logged, and the rest of its batch is written",
            .enabled(if: TestServersGate.postgres, Comment(rawValue: TestServersGate.postgresMessage)))
        func deletedRequest() async throws {
            try await withFixture(.postgresql, UnwritableResultScenarios.deletedRequestDoesNotStopTheWriter)
        }
    }
}
