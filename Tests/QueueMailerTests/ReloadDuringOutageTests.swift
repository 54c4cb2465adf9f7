import Foundation
import Glibc
import QueueMailerCore
import Testing
import TetherTestKit

extension MailerIntegration {
    /// SIGHUP while PostgreSQL (a cluster of the test's own) is down, to a database that does
    /// not answer; then the old database comes back.
    @Suite(
        "SIGHUP during a database outage",
        .enabled(if: TestServersGate.postgres, Comment(rawValue: TestServersGate.postgresMessage)))
    struct ReloadDuringOutageTests {
        @Test("the database coming back does not reconnect over a reload's swap still trying its target")
        func reconnectKeepsReloadSwap() async throws {
            try await PrivateServers.with { servers in
                let output = try await outageScenario(servers, swapTimeout: nil)
                #expect(output.contains("event=reconnect_skipped"), "\(output)")
                #expect(!output.contains("event=reconnected"), "\(output)")
                // The swap was still trying its target when the shutdown, not a reconnect, ended it.
                #expect(output.contains("event=swap_superseded pool=database"), "\(output)")
            }
        }

        @Test("a reload's swap that times out gives up its target, and the skipped reconnect runs")
        func timedOutSwapReconnects() async throws {
            try await PrivateServers.with { servers in
                let output = try await outageScenario(servers, swapTimeout: "10s")
                let lines = output.split(separator: "\n").map(String.init)
                let skipped = lines.firstIndex { $0.contains("event=reconnect_skipped") }
                let timedOut = lines.firstIndex { $0.contains("event=swap_timed_out pool=database") }
                let abandoned = lines.firstIndex { $0.contains("event=swap_abandoned pool=database") }
                let reconnected = lines.firstIndex { $0.contains("event=reconnected pool=database") }
                #expect(skipped != nil && timedOut != nil && abandoned != nil && reconnected != nil, "\(output)")
                if let skipped, let timedOut, let abandoned, let reconnected {
                    #expect(skipped < timedOut && timedOut < abandoned && abandoned < reconnected, "\(output)")
                    // Logins time out after 5 s, the swap after 10: it names its last failed one.
                    #expect(lines[abandoned].contains("error="), "\(output)")
                    #expect(!lines[abandoned].contains("no attempt had failed"), "\(output)")
                }
            }
        }

        @Test("a reload whose new password is refused keeps the current database and says why")
        func refusedPasswordNamesTheCause() async throws {
            let fixture = try await StoreFixture.make(.postgresql)
            let output: String
            do {
                output = try await reloadToRefusedPassword(fixture)
            } catch {
                await fixture.tearDown()
                throw error
            }
            await fixture.tearDown()
            let abandoned = output.split(separator: "\n").first { $0.contains("event=swap_abandoned pool=database") }
            #expect(abandoned?.contains("password authentication failed") == true, "\(output)")
            #expect(abandoned?.contains("not-the-password") == false, "\(output)")
        }

        /// Runs the mailer on `fixture`, reloads it with a password PostgreSQL refuses, waits for
        /// the swap to give up and for three more sends, stops it; returns its log.
        private func reloadToRefusedPassword(_ fixture: StoreFixture) async throws -> String {
            let relay = try SlowLoopbackRelay(finalReplyDelay: .milliseconds(60))
            let directory = NSTemporaryDirectory() + "queue-mailer-password-" + UUID().uuidString.prefix(8)
            defer {
                relay.close()
                try? FileManager.default.removeItem(atPath: directory)
            }
            _ = try await fixture.store().enqueue((1...40).map { sampleRequest("hup-pw-\($0)") }, defaultMaxAttempts: 5)
            let schema = String(fixture.schema.prefix.dropLast())
            let (pid, config, logText) = try startMailer(
                in: directory, connectString: fixture.connectString, schema: schema, relayPort: relay.port,
                swapTimeout: nil)
            try await ChildProcess.killing(pid) {
                try await waitUntil("three sends", log: logText) { relay.acceptedCount >= 3 }
                let refused = fixture.connectString.replacingOccurrences(
                    of: #"Pwd=[^;]*"#, with: "Pwd=not-the-password", options: .regularExpression)
                try writeConfig(config, connectString: refused, schema: schema, relayPort: relay.port, swapTimeout: nil)
                kill(pid, SIGHUP)
                try await waitUntil("swap_abandoned", log: logText) { logText().contains("event=swap_abandoned") }
                let sentBefore = relay.acceptedCount
                try await waitUntil("three more sends", log: logText) { relay.acceptedCount >= sentBefore + 3 }
            }
            kill(pid, SIGTERM)
            let status = await ChildProcess.wait(pid)
            let output = logText()
            #expect(status == 0, "\(output)")
            return output
        }

        /// Runs the mailer on `servers`' PostgreSQL, reloads it to a database out of reach while
        /// PostgreSQL is down, starts PostgreSQL again, waits for three more sends and stops the
        /// mailer; returns its log once every request is accounted for.
        private func outageScenario(_ servers: PrivateServers, swapTimeout: String?) async throws -> String {
            let relay = try SlowLoopbackRelay(finalReplyDelay: .milliseconds(60))
            // A listener of ours that never accepts: the reload's database, out of reach.
            let silent = try LoopbackListener()
            defer {
                relay.close()
                silent.close()
            }
            let connectString = try #require(servers.environment["TETHER_PG_DSN"])
            let fixture = try await StoreFixture.make(postgres: connectString)
            _ = try await fixture.store().enqueue((1...60).map { sampleRequest("hup-pg-\($0)") }, defaultMaxAttempts: 5)
            let schema = String(fixture.schema.prefix.dropLast())
            let directory = NSTemporaryDirectory() + "queue-mailer-reload-" + UUID().uuidString.prefix(8)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let (pid, config, logText) = try startMailer(
                in: directory, connectString: connectString, schema: schema, relayPort: relay.port,
                swapTimeout: swapTimeout)
            try await ChildProcess.killing(pid) {
                try await waitUntil("three sends", log: logText) { relay.acceptedCount >= 3 }
                try await reloadDuringOutage(pid, servers, log: logText) {
                    let unreachable = connectString.replacingOccurrences(
                        of: #"Port=\d+"#, with: "Port=\(silent.port)", options: .regularExpression)
                    try writeConfig(
                        config, connectString: unreachable, schema: schema, relayPort: relay.port,
                        swapTimeout: swapTimeout)
                }
                let sentBefore = relay.acceptedCount
                try await waitUntil("three more sends", log: logText) { relay.acceptedCount >= sentBefore + 3 }
                if swapTimeout != nil {
                    try await waitUntil("the reconnect", log: logText) { logText().contains("event=reconnected") }
                }
            }
            kill(pid, SIGTERM)
            let status = await ChildProcess.wait(pid)
            let output = logText()
            #expect(status == 0, "\(output)")
            let reconnected = try await StoreFixture.reconnect(fixture)
            let states = try await reconnected.store().status().requestsByState
            #expect(states["done"] == relay.acceptedCount)
            try await expectQueueSettled(reconnected)
            await reconnected.tearDown()
            return output
        }

        /// Stops the database, reloads the mailer with `rewrite` meanwhile,
        /// starts the database again and waits until the mailer finds it back.
        private func reloadDuringOutage(
            _ pid: pid_t, _ servers: PrivateServers, log: () -> String, rewrite: () throws -> Void
        ) async throws {
            try await servers.postgres("stop")
            try await waitUntil("database_lost", log: log) { log().contains("event=database_lost") }
            try rewrite()
            kill(pid, SIGHUP)
            try await servers.postgres("start")
            try await waitUntil("database_back", log: log) { log().contains("event=database_back") }
        }

        /// Makes `directory`, writes a configuration there and starts `queue-mailer run` on it,
        /// logging to a file beside it; returns its pid, the configuration's path and its log.
        private func startMailer(
            in directory: String, connectString: String, schema: String, relayPort: Int, swapTimeout: String?
        ) throws -> (pid: pid_t, config: String, log: @Sendable () -> String) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let config = directory + "/mailer.json"
            try writeConfig(
                config, connectString: connectString, schema: schema, relayPort: relayPort, swapTimeout: swapTimeout)
            var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("QUEUE_MAILER_") }
            environment["QUEUE_MAILER_CONFIG"] = config
            let log = directory + "/mailer.log"
            let pid = try ChildProcess.spawn(SignalTests.binary, ["run"], environment: environment, log: log)
            return (pid, config, { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" })
        }

        private func writeConfig(
            _ path: String, connectString: String, schema: String, relayPort: Int, swapTimeout: String?
        ) throws {
            var database: [String: JSONValue] = ["connect_string": .string(connectString), "schema": .string(schema)]
            database["swap_timeout"] = swapTimeout.map { .string($0) }
            let config: JSONValue = .object([
                "database": .object(database),
                "relay": .object([
                    "host": .string("127.0.0.1"), "port": .number(Double(relayPort)), "tls": .string("none"),
                ]),
                "queue": .object(["concurrency": .number(1), "poll_interval": .string("50ms")]),
                "log": .object(["level": .string("debug")]),
            ])
            try Data(config.compactText.utf8).write(to: URL(fileURLWithPath: path))
        }

        private func waitUntil(_ what: String, log: () -> String, _ condition: () -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while !condition() {
                guard ContinuousClock.now < deadline else {
                    throw ChildProcess.Failure(
                        description: "timed out waiting for \(what); the mailer's log:\n\(log())")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }
}
