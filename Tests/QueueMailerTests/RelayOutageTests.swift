import Foundation
import Glibc
import Synchronization
import Testing
import TetherLocking

@testable import QueueMailerCore

extension MailerIntegration {
    /// The relay gate against real sessions: an outage pauses claiming and charges no message.
    @Suite("Relay outage")
    struct RelayOutageTests {
        @Test("a relay down mid-run fails nothing, claims nothing while down, and records every attempt")
        func outageMidRun() async throws {
            try await Self.outageMidRun(.sqlite)
        }

        @Test(
            "on PostgreSQL: a relay down mid-run fails nothing and records every attempt",
            .enabled(if: TestServersGate.postgres, Comment(rawValue: TestServersGate.postgresMessage)))
        func outageMidRunPostgres() async throws {
            try await Self.outageMidRun(.postgresql)
        }

        static func outageMidRun(_ dialect: SQLDialect) async throws {
            let relay = try ScriptedRelay(.init(finalReplyDelay: .milliseconds(20)))
            try await withFixture(dialect) { fixture in
                let keys = (1...30).map { "outage-\($0)" }
                _ = try await fixture.store().enqueue(keys.map { sampleRequest($0) }, defaultMaxAttempts: 2)
                var harness = ServiceHarness()
                harness.queue.concurrency = 2
                harness.queue.batchSize = 4
                let claims = Locked<[Int]>([])
                let counts = try await harness.run(fixture, relay: relay) { service in
                    await waitFor { service.counts.sent >= 5 }
                    relay.setDown(true)
                    await waitFor { !service.relayGate.isOpen }
                    try? await Task.sleep(for: .milliseconds(300))
                    claims.withLock { $0.append(service.counts.claimed) }
                    try? await Task.sleep(for: .seconds(1))
                    claims.withLock { $0.append(service.counts.claimed) }
                    relay.setDown(false)
                }
                let sampled = claims.withLock { $0 }
                #expect(sampled.count == 2 && sampled[0] == sampled[1], "claims while the relay was down: \(sampled)")
                #expect(counts.failed == 0)
                #expect(counts.sent == 30)
                #expect(counts.deferred >= 1)
                #expect(Set(relay.messages.compactMap(\.messageID)).count == 30, "each sent once")
                #expect(try await fixture.store().status().requestsByState == ["done": 30])
                let deferred = try await fixture.rows(
                    "SELECT COUNT(*) FROM \(fixture.schema.resultTable) WHERE outcome = 'retry' "
                        + "AND reply_text LIKE 'relay unavailable%'")
                #expect(deferred.first?.first.flatMap { $0.flatMap(Int.init) } ?? 0 >= 1, "\(deferred)")
                let lines = harness.logs.lines
                #expect(lines.filter { $0.contains("event=relay_lost") }.count == 1, "\(lines)")
                #expect(lines.contains { $0.contains("event=relay_back") })
                try await expectQueueSettled(fixture)
            }
        }

        @Test("M3: a 421 with a hint to MAIL FROM is a counted retry that waits for the hint, not an outage")
        func mailFrom421IsCountedRetry() async throws {
            let relay = try ScriptedRelay(
                .init(mailReply: { number in number <= 2 ? "421 4.7.0 busy, try again in 1 second" : nil }))
            try await withFixture(.sqlite) { fixture in
                _ = try await fixture.store().enqueue([sampleRequest("busy-1")], defaultMaxAttempts: 3)
                let harness = ServiceHarness()
                let counts = try await harness.run(fixture, relay: relay)
                #expect(counts.sent == 1)
                #expect(counts.deferred == 0)
                let rows = try await fixture.rows(
                    "SELECT outcome, smtp_code FROM \(fixture.schema.resultTable) ORDER BY attempt")
                #expect(rows == [["retry", "421"], ["sent", "250"]], "\(rows)")
                let request = try await fixture.rows("SELECT state, max_attempts FROM \(fixture.schema.requestTable)")
                #expect(request == [["done", "3"]], "the 421 attempt counted: \(request)")
                #expect(!harness.logs.lines.contains { $0.contains("event=relay_lost") }, "\(harness.logs.lines)")
                let waited = try await fixture.rows(
                    "SELECT (julianday(MAX(finished_at)) - julianday(MIN(finished_at))) * 86400 >= 0.9 "
                        + "FROM \(fixture.schema.resultTable)")
                #expect(waited == [["1"]], "the second attempt waited for the 1 second hint")
                try await expectQueueSettled(fixture)
            }
        }

        @Test("a refused login closes the gate; SIGHUP with the right password probes at once and sends")
        func refusedLoginThenSighup() async throws {
            let relay = try ScriptedRelay(.init(password: "right-password"))
            try await withFixture(.sqlite) { fixture in
                _ = try await fixture.store().enqueue(
                    (1...5).map { sampleRequest("auth-\($0)") }, defaultMaxAttempts: 1)
                let directory = fixture.directory ?? NSTemporaryDirectory()
                let passwordFile = directory + "/relay-password"
                try Data("wrong-password\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
                var environment = Self.environment(fixture, port: relay.port)
                environment["QUEUE_MAILER_RELAY_USERNAME"] = "mailer"
                environment["QUEUE_MAILER_RELAY_PASSWORD_FILE"] = passwordFile
                environment["QUEUE_MAILER_RELAY_ALLOW_PLAINTEXT_AUTH_ON_LOOPBACK"] = "true"
                environment["QUEUE_MAILER_RELAY_PROBE_BASE_DELAY"] = "30s"
                let log = directory + "/mailer.log"
                let pid = try ChildProcess.spawn(
                    SignalTests.binary, ["run", "--until-empty"], environment: environment, log: log)
                let output = { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
                await waitFor { output().contains("event=relay_lost") }
                try Data("right-password\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
                kill(pid, SIGHUP)
                let status = await ChildProcess.wait(pid)
                #expect(status == 0, "\(output())")
                #expect(output().contains("event=relay_back"), "the probe did not wait out its 30 s backoff")
                #expect(output().contains("535"), "the reason is logged")
                #expect(!output().contains("wrong-password") && !output().contains("right-password"))
                #expect(relay.messages.count == 5)
                #expect(try await fixture.store().status().requestsByState == ["done": 5], "max_attempts 1 was kept")
                try await expectQueueSettled(fixture)
            }
        }

        @Test("the service waits out a relay outage; the metrics and status show the relay down, then up")
        func serviceShowsOutage() async throws {
            let relay = try ScriptedRelay()
            relay.setDown(true)
            try await withFixture(.sqlite) { fixture in
                _ = try await fixture.store().enqueue(
                    (1...4).map { sampleRequest("svc-\($0)") }, defaultMaxAttempts: 1)
                let directory = fixture.directory ?? NSTemporaryDirectory()
                let metrics = directory + "/mailer.prom"
                var environment = Self.environment(fixture, port: relay.port)
                environment["QUEUE_MAILER_METRICS_TEXTFILE"] = metrics
                environment["QUEUE_MAILER_METRICS_INTERVAL"] = "1s"
                environment["QUEUE_MAILER_RELAY_PROBE_BASE_DELAY"] = "100ms"
                environment["QUEUE_MAILER_RELAY_PROBE_MAXIMUM_DELAY"] = "200ms"
                let log = directory + "/mailer-service.log"
                let pid = try ChildProcess.spawn(SignalTests.binary, ["run"], environment: environment, log: log)
                let output = { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
                let gauge = { (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "" }
                await waitFor { gauge().contains("queue_mailer_relay_up{queue=\"default\"} 0") }
                let statusLog = directory + "/status.log"
                #expect(
                    try await ChildProcess.run(SignalTests.binary, ["status"], environment: environment, log: statusLog)
                        == 0)
                let status = (try? String(contentsOfFile: statusLog, encoding: .utf8)) ?? ""
                #expect(status.contains("relay unavailable (claiming paused)"), "\(status)")
                relay.setDown(false)
                await waitFor { relay.messages.count == 4 }
                await waitFor { gauge().contains("queue_mailer_relay_up{queue=\"default\"} 1") }
                kill(pid, SIGTERM)
                #expect(await ChildProcess.wait(pid) == 0, "\(output())")
                #expect(output().contains("event=relay_lost") && output().contains("event=relay_back"), "\(output())")
                let deferred = gauge().split(separator: "\n")
                    .first { $0.hasPrefix("queue_mailer_deferred_total{") }?.split(separator: " ").last
                #expect(deferred.flatMap { Int($0) } ?? 0 >= 1, "\(gauge())")
                #expect(try await fixture.store().status().requestsByState == ["done": 4])
                try await expectQueueSettled(fixture)
            }
        }

        @Test("run --until-empty with the relay refusing connections exits 69 after relay.outage_limit")
        func untilEmptyGivesUp() async throws {
            let closed = try ScriptedRelay()
            let port = closed.port
            closed.close()
            try await withFixture(.sqlite) { fixture in
                _ = try await fixture.store().enqueue(
                    (1...3).map { sampleRequest("down-\($0)") }, defaultMaxAttempts: 1)
                var environment = Self.environment(fixture, port: port)
                environment["QUEUE_MAILER_RELAY_OUTAGE_LIMIT"] = "1s"
                environment["QUEUE_MAILER_RELAY_CONNECT_TIMEOUT"] = "1s"
                environment["QUEUE_MAILER_RELAY_PROBE_BASE_DELAY"] = "100ms"
                let log = (fixture.directory ?? NSTemporaryDirectory()) + "/mailer-down.log"
                let status = try await ChildProcess.run(
                    SignalTests.binary, ["run", "--until-empty"], environment: environment, log: log)
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                #expect(status == 69, "\(output)")
                #expect(output.contains("relay.outage_limit"), "\(output)")
                #expect(try await fixture.store().status().requestsByState == ["ready": 3])
                try await expectQueueSettled(fixture)
            }
        }

        static func environment(_ fixture: StoreFixture, port: Int) -> [String: String] {
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("QUEUE_MAILER_") }
            environment["QUEUE_MAILER_DATABASE_CONNECT_STRING"] = fixture.connectString
            environment["QUEUE_MAILER_RELAY_HOST"] = "127.0.0.1"
            environment["QUEUE_MAILER_RELAY_PORT"] = String(port)
            environment["QUEUE_MAILER_RELAY_TLS"] = "none"
            environment["QUEUE_MAILER_QUEUE_POLL_INTERVAL"] = "50ms"
            return environment
        }
    }
}

/// Polls `condition` every 20 ms for up to 30 seconds.
private func waitFor(_ condition: () -> Bool) async {
    let deadline = ContinuousClock.now + .seconds(30)
    while !condition(), ContinuousClock.now < deadline {
        try? await Task.sleep(for: .milliseconds(20))
    }
}

extension MailerIntegration {
    @Suite("run --until-empty with scheduled requests")
    struct ScheduledWaitTests {
        @Test("a run waiting only for requests scheduled later says how many and when, then sends them")
        func waitsVisibly() async throws {
            try await Self.waitsVisibly(.sqlite)
        }

        @Test(
            "on PostgreSQL: a run waiting for scheduled requests says how many and when",
            .enabled(if: TestServersGate.postgres, Comment(rawValue: TestServersGate.postgresMessage)))
        func waitsVisiblyPostgres() async throws {
            try await Self.waitsVisibly(.postgresql)
        }

        static func waitsVisibly(_ dialect: SQLDialect) async throws {
            let relay = try ScriptedRelay()
            try await withFixture(dialect) { fixture in
                var later = sampleRequest("later-1")
                later.sendAt = Date().addingTimeInterval(1.5)
                _ = try await fixture.store().enqueue([sampleRequest("now-1"), later], defaultMaxAttempts: 2)
                let harness = ServiceHarness()
                let notes = Locked<[String]>([])
                let counts = try await harness.run(fixture, relay: relay) { service in
                    await waitFor { service.waitingNote != nil || service.counts.sent == 2 }
                    if let note = service.waitingNote { notes.withLock { $0.append(note) } }
                }
                #expect(counts.sent == 2)
                let lines = harness.logs.lines.filter { $0.contains("event=waiting_for_scheduled") }
                #expect(lines.count == 1, "\(harness.logs.lines)")
                #expect(lines.first?.contains("count=1") == true)
                #expect(notes.withLock { $0 }.first?.hasPrefix("waiting for 1 scheduled, next in") == true)
                try await expectQueueSettled(fixture)
            }
        }
    }
}
