import Foundation
import Glibc
import QueueMailerCore
import Testing
import TetherTestKit

extension MailerIntegration {
    /// SIGHUP against the real program: the relay moves to new settings without dropping work.
    @Suite("SIGHUP hot swap")
    struct ReloadTests {
        @Test("SIGHUP re-reads the configuration and swaps the relay pool without losing a request")
        func sighupSwapsRelay() async throws {
            let output = try await reloadWhileSending { fixture in fixture.connectString }
            #expect(output.contains("event=swapped pool=relay"))
            #expect(output.contains("event=swapped pool=database"))
        }

        @Test(
            "SIGHUP moves the relay at once; a new database out of reach or of another dialect leaves the old one",
            arguments: ["out-of-reach", "other-dialect"])
        func sighupRelayNotHeldByDatabase(database: String) async throws {
            // A listener of ours that never accepts: a regression could only reach it.
            let silent = try LoopbackListener()
            defer { silent.close() }
            let output = try await reloadWhileSending { fixture in
                guard database == "out-of-reach", let directory = fixture.directory else {
                    return "Driver=PostgreSQL;Server=127.0.0.1;Port=\(silent.port);Database=queue;"
                }
                // A database file in a directory that does not exist: no login to it succeeds.
                return fixture.connectString.replacingOccurrences(of: directory, with: directory + "/missing")
            }
            #expect(output.contains("event=swapped pool=relay"), "\(output)")
            let databaseSwap = output.split(separator: "\n").first { $0.contains("pool=database") }
            if database == "out-of-reach" {
                // Still trying its target when the shutdown superseded it.
                #expect(databaseSwap?.contains("event=swap_superseded") == true, "\(output)")
            } else {
                // The store's SQL fits the tables it started with: no swap at all.
                #expect(databaseSwap == nil, "\(output)")
                #expect(output.contains("event=restart_needed"), "\(output)")
            }
        }

        /// Runs the mailer on 40 requests through a first relay; after three sends, points its
        /// configuration at a second relay and at the database `newDatabase` names, sends
        /// SIGHUP, and stops it once the second relay took three. Checks that it exits cleanly
        /// and that every request sent is done and none is lost; returns its log.
        private func reloadWhileSending(newDatabase: (StoreFixture) throws -> String) async throws -> String {
            let first = try SlowLoopbackRelay(finalReplyDelay: .milliseconds(60))
            let second = try SlowLoopbackRelay(finalReplyDelay: .milliseconds(60))
            defer {
                first.close()
                second.close()
            }
            var output = ""
            try await withFixture(.sqlite) { fixture in
                _ = try await fixture.store().enqueue(
                    (1...40).map { sampleRequest("hup-\($0)") }, defaultMaxAttempts: 5)
                let directory = fixture.directory ?? NSTemporaryDirectory()
                let config = directory + "/mailer.json"
                try writeConfig(config, connectString: fixture.connectString, port: first.port)
                var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("QUEUE_MAILER_") }
                environment["QUEUE_MAILER_CONFIG"] = config
                let log = directory + "/mailer.log"
                let pid = try ChildProcess.spawn(SignalTests.binary, ["run"], environment: environment, log: log)
                try await ChildProcess.killing(pid) {
                    try await waitUntil { first.acceptedCount >= 3 }
                    try writeConfig(config, connectString: try newDatabase(fixture), port: second.port)
                    kill(pid, SIGHUP)
                    try await waitUntil { second.acceptedCount >= 3 }
                }
                kill(pid, SIGTERM)
                let status = await ChildProcess.wait(pid)
                output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                #expect(status == 0, "\(output)")
                let states = try await fixture.store().status().requestsByState
                #expect(states["done"] == first.acceptedCount + second.acceptedCount)
                #expect(states["done", default: 0] + states["ready", default: 0] == 40)
                try await expectQueueSettled(fixture)
            }
            return output
        }

        private func writeConfig(_ path: String, connectString: String, port: Int) throws {
            let config: JSONValue = .object([
                "database": .object(["connect_string": .string(connectString)]),
                "relay": .object(["host": .string("127.0.0.1"), "port": .number(Double(port)), "tls": .string("none")]),
                "queue": .object(["concurrency": .number(1), "poll_interval": .string("50ms")]),
            ])
            try Data(config.compactText.utf8).write(to: URL(fileURLWithPath: path))
        }

        private func waitUntil(_ condition: () -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while !condition() {
                guard ContinuousClock.now < deadline else {
                    throw ChildProcess.Failure(description: "timed out waiting")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }
}
