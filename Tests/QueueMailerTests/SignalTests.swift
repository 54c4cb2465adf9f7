import Foundation
import Glibc
import QueueMailerCore
import Testing
import TetherTestKit

extension MailerIntegration {
    /// M8 against the real program: `queue-mailer run` as a child process, SIGTERM mid-send.
    @Suite("M8: SIGTERM to a running queue-mailer")
    struct SignalTests {
        @Test("M8: stops claiming, finishes sends in flight, returns the rest, writes every result, exits 0")
        func sigtermMidRun() async throws {
            let relay = try SlowLoopbackRelay(finalReplyDelay: .milliseconds(300))
            defer { relay.close() }
            try await withFixture(.sqlite) { fixture in
                _ = try await fixture.store().enqueue(
                    (1...20).map { sampleRequest("sig-\($0)") }, defaultMaxAttempts: 5)
                let log = (fixture.directory ?? NSTemporaryDirectory()) + "/mailer.log"
                let pid = try ChildProcess.spawn(
                    Self.binary, ["run"], environment: environment(fixture, relay), log: log)
                let deadline = ContinuousClock.now + .seconds(30)
                while relay.acceptedCount < 2, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                kill(pid, SIGTERM)
                let status = await ChildProcess.wait(pid)
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                #expect(status == 0, "\(output)")
                #expect(output.contains("event=shutdown_started"))
                #expect(output.contains("event=stopped"))
                let sent = relay.acceptedCount
                #expect(sent >= 2 && sent < 20)
                let states = try await fixture.store().status().requestsByState
                #expect(states["done"] == sent, "every send the relay accepted is recorded as done")
                #expect(states["ready"] == 20 - sent, "the rest are back in the queue")
                try await expectQueueSettled(fixture)
            }
        }

        @Test(
            "M8: SIGTERM while the start-up waits for a database that never answers logs stopped and exits 0",
            .enabled(if: TestServersGate.postgres, Comment(rawValue: TestServersGate.postgresMessage)))
        func sigtermDuringStartUp() async throws {
            // Connections are taken by the kernel and never answered: the login waits its timeout.
            let database = try LoopbackListener()
            let relay = try LoopbackListener()
            defer {
                database.close()
                relay.close()
            }
            let dsn = try TestServers.current.value("TETHER_PG_DSN")
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("QUEUE_MAILER_") }
            environment["QUEUE_MAILER_DATABASE_CONNECT_STRING"] = dsn.replacing(
                #/Port=[0-9]+/#, with: "Port=\(database.port)")
            environment["QUEUE_MAILER_DATABASE_LOGIN_TIMEOUT"] = "3s"
            environment["QUEUE_MAILER_RELAY_HOST"] = "127.0.0.1"
            environment["QUEUE_MAILER_RELAY_PORT"] = String(relay.port)
            environment["QUEUE_MAILER_RELAY_TLS"] = "none"
            let log = NSTemporaryDirectory() + "/queue-mailer-startup-\(UUID().uuidString).log"
            defer { try? FileManager.default.removeItem(atPath: log) }
            let pid = try ChildProcess.spawn(Self.binary, ["run"], environment: environment, log: log)
            try await Task.sleep(for: .seconds(1))  // well inside the login's 3 s
            let signalled = ContinuousClock.now
            kill(pid, SIGTERM)
            let status = await ChildProcess.wait(pid)
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(status == 0, "\(output)")
            #expect(output.contains("event=signal signal=SIGTERM"), "\(output)")
            #expect(output.contains("event=stopped during=start-up"), "\(output)")
            #expect(!output.contains("event=started"), "\(output)")
            // The login given up still runs in the driver; the pool waits for it, within its timeout.
            #expect(ContinuousClock.now - signalled < .seconds(8))
        }

        private func environment(_ fixture: StoreFixture, _ relay: SlowLoopbackRelay) -> [String: String] {
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("QUEUE_MAILER_") }
            environment["QUEUE_MAILER_DATABASE_CONNECT_STRING"] = fixture.connectString
            environment["QUEUE_MAILER_RELAY_HOST"] = "127.0.0.1"
            environment["QUEUE_MAILER_RELAY_PORT"] = String(relay.port)
            environment["QUEUE_MAILER_RELAY_TLS"] = "none"
            environment["QUEUE_MAILER_QUEUE_CONCURRENCY"] = "2"
            environment["QUEUE_MAILER_QUEUE_POLL_INTERVAL"] = "50ms"
            environment["QUEUE_MAILER_QUEUE_SHUTDOWN_TIMEOUT"] = "5s"
            return environment
        }

        /// The `queue-mailer` executable built beside the test bundle.
        static var binary: String {
            let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("queue-mailer").path
            if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
            return ChildProcess.repositoryRoot + "/.build/debug/queue-mailer"
        }
    }
}
