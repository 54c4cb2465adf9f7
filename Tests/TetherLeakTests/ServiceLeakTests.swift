import Foundation
import Testing
import TetherRetry
import TetherSMTP
import TetherTestKit

@testable import TetherODBC

@Suite("No leaks: SMTPClient, ODBCConnection and withRetries")
struct ServiceLeakTests {
    static let servers = TestServers.current

    @Test(
        "60 messages on 4 tasks, then shutdown: no socket to the server is left and the client is freed",
        .enabled(if: servers.shouldRun(.plainSMTP), Comment(rawValue: TestServers.skipMessage(.plainSMTP))))
    func smtpClientLeavesNothing() async throws {
        let port = try Self.servers.port("TETHER_SMTP_PLAIN_PORT")
        var configuration = SMTPConfiguration(host: try Self.servers.value("TETHER_SMTP_PLAIN_HOST"), port: port)
        configuration.tls = .none
        configuration.maximumIdleConnections = 2
        let reference = try await Self.sendMessages(configuration, count: 60, tasks: 4)
        #expect(await Census.eventually { Census.sockets(toPort: port) == 0 })
        #expect(reference.object == nil)
    }

    @Test(
        "8 SQLite connections used and closed end their threads and are freed",
        .enabled(if: servers.shouldRun(.sqlite), Comment(rawValue: TestServers.skipMessage(.sqlite))))
    func odbcConnectionsLeaveNothing() async throws {
        let driver = try Self.servers.value("TETHER_SQLITE_DRIVER")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tether-leak-\(UUID()).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var threads: [Int32] = []
        var references: [WeakReference<ODBCConnection>] = []
        for _ in 0..<8 {
            let connection = try await ODBCConnection.connect(ODBCConnectString(driver: driver, database: path))
            let sum = try await connection.withSession { try $0.query("SELECT 40 + 2")[0].decode(Int.self, at: 0) }
            #expect(sum == 42)
            threads.append(connection.threadID)
            references.append(WeakReference(connection))
            await connection.close()
        }
        #expect(threads.allSatisfy { $0 != 0 })
        #expect(await Census.eventually { !threads.contains(where: Census.threadIsAlive) })
        #expect(references.allSatisfy { $0.object == nil })
    }

    @Test("withRetries cancelled while waiting between attempts leaves no sleeper on the clock")
    func cancelledRetriesLeaveNothing() async throws {
        struct Refused: Error {}
        let clock = ManualClock()
        let policy = try ReconnectPolicy(baseDelay: .seconds(1), maximumDelay: .seconds(8), maximumAttempts: 50)
        let retries = Task {
            try await withRetries(policy, clock: clock) { _ in throw Refused() }
        }
        #expect(await Census.eventually { clock.sleeperCount == 1 })
        retries.cancel()
        _ = await retries.result
        #expect(clock.sleeperCount == 0)
    }

    /// Sends `count` messages from `tasks` tasks, shuts the client down, returns it held weakly.
    private static func sendMessages(
        _ configuration: SMTPConfiguration, count: Int, tasks: Int
    ) async throws -> WeakReference<SMTPClient> {
        let client = SMTPClient(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for number in 0..<(count / tasks) {
                        var email = Email(from: try EmailAddress("leak@tether.test"), subject: "leak \(task)-\(number)")
                        email.to = [try EmailAddress("rcpt@tether.test")]
                        email.text = "message \(number) of task \(task)"
                        _ = try await client.send(OutgoingMessage(email))
                    }
                }
            }
            try await group.waitForAll()
        }
        await client.shutdown()
        return WeakReference(client)
    }
}
