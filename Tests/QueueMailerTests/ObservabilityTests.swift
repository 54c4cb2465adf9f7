import Foundation
import QueueMailerCore
import Testing

@Suite("MailerLogger")
struct MailerLoggerTests {
    @Test("a line is key=value in the given order, with quoting where needed")
    func format() throws {
        let capture = LogCapture()
        capture.logger(level: .info).info("started", ["instance": "mx1", "note": "two words", "empty": ""])
        let line = try #require(capture.lines.first)
        #expect(line.hasPrefix("ts="))
        #expect(line.hasSuffix(#"level=info event=started instance=mx1 note="two words" empty="""#))
    }

    @Test("a value cannot break the line or forge a key")
    func escaping() {
        #expect(MailerLogger.quoted("a\nevent=forged") == #""a\nevent=forged""#)
        #expect(MailerLogger.quoted(#"say "hi""#) == #""say \"hi\"""#)
        #expect(MailerLogger.quoted("plain-value_1.2") == "plain-value_1.2")
    }

    @Test("levels below the logger's are dropped")
    func levels() {
        let capture = LogCapture()
        let logger = capture.logger(level: .warning)
        logger.info("quiet")
        logger.debug("quieter")
        logger.error("loud")
        #expect(capture.lines.count == 1)
        #expect(capture.lines[0].contains("event=loud"))
    }

    @Test("a secret logged by mistake shows as redacted")
    func secretRedacted() {
        let capture = LogCapture()
        capture.logger().info("connect", ["password": Secret("hunter2")])
        #expect(!capture.lines[0].contains("hunter2"))
        #expect(capture.lines[0].contains("<redacted>"))
    }
}

@Suite("MailerMetrics")
struct MailerMetricsTests {
    @Test("counters, gauges and the latency histogram render in Prometheus text format")
    func render() {
        let metrics = MailerMetrics(queue: "default")
        metrics.increment(.claimed, by: 3)
        metrics.increment(.sent, by: 2)
        metrics.setGauge("queue_depth", 7, help: "Ready requests.")
        metrics.observeSendLatency(.milliseconds(30))
        metrics.observeSendLatency(.seconds(3))
        let text = metrics.render()
        #expect(
            text.contains(
                "# TYPE queue_mailer_claimed_total counter\nqueue_mailer_claimed_total{queue=\"default\"} 3\n"))
        #expect(text.contains("queue_mailer_sent_total{queue=\"default\"} 2\n"))
        #expect(text.contains("# TYPE queue_mailer_queue_depth gauge\nqueue_mailer_queue_depth{queue=\"default\"} 7\n"))
        #expect(text.contains("queue_mailer_send_latency_seconds_bucket{queue=\"default\",le=\"0.05\"} 1\n"))
        #expect(text.contains("queue_mailer_send_latency_seconds_bucket{queue=\"default\",le=\"5\"} 2\n"))
        #expect(text.contains("queue_mailer_send_latency_seconds_bucket{queue=\"default\",le=\"+Inf\"} 2\n"))
        #expect(text.contains("queue_mailer_send_latency_seconds_count{queue=\"default\"} 2\n"))
    }

    @Test("the textfile is replaced whole, never left half written")
    func textfile() throws {
        let file = try TemporaryFile("old", name: "queue-mailer.prom")
        let metrics = MailerMetrics(queue: "q")
        metrics.increment(.failed)
        try metrics.writeTextfile(to: file.path)
        let text = try String(contentsOfFile: file.path, encoding: .utf8)
        #expect(text == metrics.render())
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: file.directory)
        #expect(leftovers == ["queue-mailer.prom"])
    }
}

@Suite("ProgressLine")
struct ProgressLineTests {
    @Test("shows done of total, rate, failures and time left")
    func text() {
        let line = ProgressLine(done: 30, total: 120, failed: 2, unknown: 1, elapsed: .seconds(10))
        #expect(line.text == "30/120 done  3.0 msg/s  2 failed  1 unknown  ~30s left")
        #expect(line.terminalText.hasPrefix("\r"))
    }

    @Test("before anything is done there is no estimate")
    func noEstimate() {
        let line = ProgressLine(done: 0, total: 5, failed: 0, unknown: 0, elapsed: .seconds(1))
        #expect(line.text == "0/5 done  0.0 msg/s  0 failed")
    }
}

@Suite("DurationText")
struct DurationTextTests {
    @Test(
        "parses operator durations",
        arguments: [("250ms", 250), ("5s", 5000), ("1.5s", 1500), ("2m", 120_000), ("1h", 3_600_000), ("7", 7000)])
    func parse(text: String, milliseconds: Int64) {
        #expect(DurationText.parse(text) == .milliseconds(milliseconds))
    }

    @Test("refuses what is not a duration", arguments: ["", "soon", "-1s", "5 parsecs", "s"])
    func refuse(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test("formats in the largest whole unit")
    func format() {
        #expect(DurationText.format(.milliseconds(1500)) == "1500ms")
        #expect(DurationText.format(.seconds(30)) == "30s")
        #expect(DurationText.format(.seconds(120)) == "2m")
        #expect(DurationText.format(.zero) == "0s")
    }
}
