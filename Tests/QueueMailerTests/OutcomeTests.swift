import QueueMailerCore
import Testing
import TetherRetry

@Suite("OutcomeClassifier")
struct OutcomeClassifierTests {
    private let classifier = OutcomeClassifier(maximumHint: .seconds(600)) { attempt in .seconds(10 * attempt) }

    private func claimed(attempt: Int = 1, maxAttempts: Int = 3) -> ClaimedRequest {
        let request = SendRequest(idempotencyKey: "k", from: MailAddress(address: "a@example.com"))
        return ClaimedRequest(
            id: 7, attempt: attempt, maxAttempts: maxAttempts, messageID: "m@x", request: .success(request))
    }

    @Test("2xx is sent and the request done")
    func sent() {
        let result = classifier.result(
            for: claimed(), report: DeliveryReport(verdict: .accepted, code: 250, detail: "OK"))
        #expect(result.outcome == .sent)
        #expect(result.nextState == "done")
        #expect(result.lastError == nil)
    }

    @Test("M3: 4xx retries no earlier than the hint, and with backoff when the hint is shorter")
    func transientHonoursHint() {
        let hinted = DeliveryReport(
            verdict: .transient(hint: .seconds(45)), code: 451, detail: "try again in 45 seconds")
        #expect(classifier.result(for: claimed(attempt: 1), report: hinted).retryAfter == .seconds(45))
        #expect(classifier.result(for: claimed(attempt: 2, maxAttempts: 5), report: hinted).retryAfter == .seconds(45))
        let shortHint = DeliveryReport(verdict: .transient(hint: .seconds(5)), code: 451, detail: "in 5 seconds")
        #expect(classifier.result(for: claimed(attempt: 2), report: shortHint).retryAfter == .seconds(20))
        let huge = DeliveryReport(verdict: .transient(hint: .seconds(99_999)), code: 421, detail: "later")
        #expect(classifier.result(for: claimed(), report: huge).retryAfter == .seconds(600))
    }

    @Test("M3: 5xx fails with the reply text")
    func permanent() {
        let report = DeliveryReport(
            verdict: .permanent, code: 550, enhancedCode: "5.1.1", detail: "550 5.1.1 no such user")
        let result = classifier.result(for: claimed(), report: report)
        #expect(result.outcome == .failed)
        #expect(result.nextState == "failed")
        #expect(result.lastError == "550 5.1.1 no such user")
    }

    @Test("a transient failure with no attempts left is recorded as failed and says so")
    func exhausted() {
        let report = DeliveryReport(verdict: .transient(hint: nil), code: 451, detail: "busy")
        let result = classifier.result(for: claimed(attempt: 3, maxAttempts: 3), report: report)
        #expect(result.outcome == .failed)
        #expect(result.nextState == "failed")
        #expect(result.lastError?.contains("no attempts left") == true)
    }

    @Test("M6: no final reply after the end of data is unknown, not retried")
    func ambiguous() {
        let result = classifier.result(for: claimed(), report: DeliveryReport(verdict: .ambiguous, detail: "timed out"))
        #expect(result.outcome == .unknown)
        #expect(result.nextState == "unknown")
    }

    @Test("M8: a send cancelled before it began is released and does not use up an attempt")
    func released() {
        let result = classifier.result(
            for: claimed(attempt: 3, maxAttempts: 3), report: DeliveryReport(verdict: .notStarted, detail: "x"))
        #expect(result.released)
        #expect(result.nextState == "ready")
    }

    @Test("M5: a message the builder refuses fails as bad data")
    func badMessage() {
        let result = classifier.result(
            for: claimed(), report: DeliveryReport(verdict: .badMessage, detail: "bad header"))
        #expect(result.outcome == .failed)
        #expect(result.detail.hasPrefix("bad data: "))
    }

    @Test("the configured retry settings make a TetherRetry policy with growing waits")
    func policy() throws {
        let settings = RetrySettings(baseDelay: .seconds(2), multiplier: 2, maximumDelay: .seconds(60), jitter: 0)
        let policy = try settings.policy(section: "retry")
        #expect(RetrySettings.delay(after: 1, policy: policy) == .seconds(2))
        #expect(RetrySettings.delay(after: 3, policy: policy) == .seconds(8))
        #expect(RetrySettings.delay(after: 30, policy: policy) == .seconds(60))
    }
}
