import Foundation
import Testing

@testable import QueueMailerCore

@Suite("Errors about bad input")
struct InputErrorTests {
    private func refusal(_ fields: String) throws -> MailerError {
        let line = #"{"idempotency_key": "k1", "from": "a@example.com", "text": "hi", "# + fields + "}"
        return try #require(throws: MailerError.self) { try SendRequest.parse(line: line) }
    }

    @Test("CR, LF and other control characters from the input are escaped, so an error stays one line")
    func controlCharactersEscaped() throws {
        let error = try refusal(#""to": ["bad\r\naddr@example.org\u0007"]"#)
        #expect(error.description.contains(#""bad\r\naddr@example.org\u{7}""#), "\(error)")
        #expect(!error.description.unicodeScalars.contains { $0.properties.generalCategory == .control })
    }

    @Test("an address object names the member at fault: to[0].address, from.name")
    func addressObjectPaths() throws {
        #expect(try refusal(#""to": [{"address": "carl at example.org"}]"#).field == "to[0].address")
        #expect(try refusal(#""to": [{"address": "c@example.org", "name": "C\nX"}]"#).field == "to[0].name")
        #expect(try refusal(#""to": ["ok@example.org", {"address": "x"}]"#).field == "to[1].address")
        #expect(try refusal(#""to": [{"adress": "c@example.org"}]"#).field == "to[0].adress")
        #expect(try refusal(#""to": ["carl at example.org"]"#).field == "to[0]")
        let line =
            #"{"idempotency_key": "k", "from": {"address": "a@x.org", "name": "A\rB"}, "to": "b@x.org", "text": "t"}"#
        let from = try #require(throws: MailerError.self) { try SendRequest.parse(line: line) }
        #expect(from.field == "from.name")
    }

    @Test("attachments over the limit name the field that holds the content")
    func attachmentSizeNamesField() throws {
        let big = String(repeating: "x", count: SendRequest.maximumAttachmentBytes + 1)
        let text = try refusal(
            #""to": "b@x.org", "attachments": [{"filename": "a.txt", "content_text": ""# + big + #""}]"#)
        #expect(text.field == "attachments[0].content_text")
        let base64 = Data(big.utf8).base64EncodedString()
        let encoded = try refusal(
            #""to": "b@x.org", "attachments": [{"filename": "a.bin", "content_base64": ""# + base64 + #""}]"#)
        #expect(encoded.field == "attachments[0].content_base64")
    }

    @Test("a send cancelled by shutdown records a readable reason, not the error's type name")
    func cancellationReason() {
        let report = SMTPTransport.classify(CancellationError(), latency: .zero)
        #expect(report.verdict == .notStarted)
        let classifier = OutcomeClassifier(maximumHint: .seconds(60)) { _ in .seconds(1) }
        let claimed = ClaimedRequest(
            id: 1, attempt: 1, maxAttempts: 3, messageID: "m@x",
            request: .success(SendRequest(idempotencyKey: "k", from: MailAddress(address: "a@x.org"))))
        let result = classifier.result(for: claimed, report: report)
        #expect(result.detail == "not sent: cancelled by shutdown before the message was sent")
        #expect(result.released && result.nextState == "ready")
    }

    @Test("a relay-unavailable verdict is recorded as a retry that uses up no attempt, even the last")
    func relayUnavailableIsDeferred() {
        let classifier = OutcomeClassifier(maximumHint: .seconds(60)) { _ in .seconds(1) }
        let claimed = ClaimedRequest(
            id: 1, attempt: 3, maxAttempts: 3, messageID: "m@x",
            request: .success(SendRequest(idempotencyKey: "k", from: MailAddress(address: "a@x.org"))))
        let report = DeliveryReport(verdict: .relayUnavailable, code: 421, detail: "421 4.3.2 down")
        let result = classifier.result(for: claimed, report: report)
        #expect(result.outcome == .retry)
        #expect(result.released, "the attempt is given back: max_attempts grows by one")
        #expect(result.nextState == "ready")
        #expect(result.retryAfter == .zero)
        #expect(result.smtpCode == 421)
        #expect(result.detail == "relay unavailable, not counted as an attempt: 421 4.3.2 down")
    }

    @Test("the progress line says what the run waits for instead of a time left")
    func progressNote() {
        var line = ProgressLine(done: 3, total: 5, failed: 0, unknown: 0, elapsed: .seconds(3))
        line.note = "waiting for 2 scheduled, next in 40s"
        #expect(line.text == "3/5 done  1.0 msg/s  0 failed  waiting for 2 scheduled, next in 40s")
    }

    @Test("status reads the running instance's database and relay state from its metrics")
    func statusInstanceLine() {
        let text = "queue_mailer_database_up{queue=\"q\"} 1\nqueue_mailer_relay_up{queue=\"q\"} 0\n"
        #expect(
            StatusReport.instanceLine(metricsText: text, age: 4)
                == "instance (metrics written 4s ago): database up, relay unavailable (claiming paused)")
        #expect(StatusReport.instanceLine(metricsText: nil, age: nil).contains("set metrics.textfile"))
        let running = "queue_mailer_running{queue=\"q\"} 1\n" + text
        let line = StatusReport.instanceLine(metricsText: running, age: 4)
        #expect(line.hasSuffix("relay unavailable (claiming paused)"), "\(line)")
        let stopped = "queue_mailer_running{queue=\"q\"} 0\n" + text
        #expect(StatusReport.instanceLine(metricsText: stopped, age: 9) == "instance stopped (metrics written 9s ago)")
        let crlf = stopped.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(StatusReport.instanceLine(metricsText: crlf, age: -5) == "instance stopped (metrics written 0s ago)")
    }

    @Test("status --metrics names each metric family once: the instance's copy of one status has is left out")
    func statusMetricsWithoutRepeats() {
        let own = StatusReport.metrics(QueueStatus(), queue: "q")
        let instance = """
            # HELP queue_mailer_relay_up 1 while the relay takes mail.
            # TYPE queue_mailer_relay_up gauge
            queue_mailer_relay_up{queue="q"} 1
            # HELP queue_mailer_oldest_ready_seconds How long the oldest ready request has waited.
            # TYPE queue_mailer_oldest_ready_seconds gauge
            queue_mailer_oldest_ready_seconds{queue="q"} 42
            queue_mailer_oldest_ready_secondsish{queue="q"} 7

            """
        let crlf = StatusReport.instanceMetrics(instance.replacingOccurrences(of: "\n", with: "\r\n"), without: own)
        #expect(!crlf.contains("queue_mailer_oldest_ready_seconds{"), "CRLF line ends: \(crlf)")
        let kept = StatusReport.instanceMetrics(instance, without: own)
        #expect(kept.contains("queue_mailer_relay_up{queue=\"q\"} 1"))
        #expect(kept.contains("# TYPE queue_mailer_relay_up gauge"))
        #expect(!kept.contains("queue_mailer_oldest_ready_seconds{"), "\(kept)")
        #expect(!kept.contains("# HELP queue_mailer_oldest_ready_seconds "))
        #expect(kept.contains("queue_mailer_oldest_ready_secondsish{queue=\"q\"} 7"), "a longer name is another family")
        #expect(own.contains("queue_mailer_oldest_ready_seconds{queue=\"q\"} 0"))
    }
}
