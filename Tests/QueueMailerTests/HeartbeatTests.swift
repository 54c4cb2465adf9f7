import Testing
import TetherLocking
import TetherTestKit

@testable import QueueMailerCore

/// The heartbeat renews the leases an instance holds, given as one parameter so that its
/// statement text never changes, and no lease it does not hold.
enum HeartbeatScenarios {
    static func renewsOnlyHeldLeases(_ fixture: StoreFixture) async throws {
        let keys = ["a", "b", "c", "d"]
        try await MailerCaseScenarios.enqueue(fixture, keys.map { sampleRequest($0) })
        let mine = try await fixture.store(owner: "mine", lease: .seconds(5)).claim(limit: 3).map(\.id)
        let theirs = try await fixture.store(owner: "theirs", lease: .seconds(5)).claim(limit: 1).map(\.id)
        #expect(mine.count == 3 && theirs.count == 1)
        // A store of the same owner with a lease of an hour: renewed leases stand out.
        let renewing = fixture.store(owner: "mine", lease: .seconds(3600))
        let held = [mine[0], mine[2]]
        #expect(try await renewing.heartbeat(holding: held + theirs) == 2)
        #expect(try await renewedIDs(fixture) == held.sorted())
        // Many ids, the same statement: every one the owner holds is renewed.
        #expect(try await renewing.heartbeat(holding: mine + Array(1_000...1_200)) == 3)
        #expect(try await renewedIDs(fixture) == mine.sorted())
    }

    /// The requests whose lease runs for more than ten minutes yet.
    private static func renewedIDs(_ fixture: StoreFixture) async throws -> [Int64] {
        let remaining = fixture.dialect.secondsSince("lease_expires_at")
        return try await fixture.rows(
            "SELECT id FROM \(fixture.schema.requestTable) WHERE \(remaining) < -600 ORDER BY id"
        ).compactMap { $0[0].flatMap { Int64($0) } }
    }
}

@Suite("Heartbeat")
struct HeartbeatTests {
    @Test("the heartbeat renews only the leases the instance holds (SQLite)")
    func sqlite() async throws {
        try await withFixture(.sqlite, HeartbeatScenarios.renewsOnlyHeldLeases)
    }

    @Test(
        "the heartbeat renews only the leases the instance holds (PostgreSQL)",
        .enabled(if: TestServersGate.postgres, Comment(rawValue: TestServersGate.postgresMessage)))
    func postgres() async throws {
        try await withFixture(.postgresql, HeartbeatScenarios.renewsOnlyHeldLeases)
    }
}

@Suite("Lease keeping")
struct LeaseKeepingTests {
    /// A database that is down. Like the real store, a heartbeat for no lease runs no statement.
    final class DownQueue: MailQueue {
        struct Down: Error {}
        let heartbeats = Locked(0)

        func heartbeat(holding ids: [Int64]) async throws -> Int {
            heartbeats.withLock { $0 += 1 }
            if ids.isEmpty { return 0 }
            throw Down()
        }
        func claim(limit: Int) async throws -> [ClaimedRequest] { throw Down() }
        func sentAttempt(requestID: Int64) async throws -> Int? { throw Down() }
        func write(_ results: [AttemptResult]) async throws -> Int { throw Down() }
        func reapExpired() async throws -> Int { throw Down() }
        func unfinishedCount() async throws -> Int { throw Down() }
        func scheduledLater() async throws -> (count: Int, nextIn: Duration?) { throw Down() }
    }

    @Test("with no lease held the heartbeat stays away from the database, and a database down stays down")
    func idleHeartbeat() async {
        let clock = ManualClock()
        let queue = DownQueue()
        var settings = QueueSettings()
        settings.lease = .seconds(30)
        let service = MailerService(
            queue: queue, transport: RelayProbeTests.ProbeScript(failures: 0), settings: settings,
            classifier: OutcomeClassifier(maximumHint: .seconds(60)) { _ in .seconds(1) },
            databaseBackoff: { _ in .seconds(1) }, logger: LogCapture().logger(), metrics: MailerMetrics(queue: "q"),
            clock: clock)
        service.health.failed("claim", DownQueue.Down(), retryIn: .seconds(1))
        let done = StopSignal()
        let keeper = Task { await service.keepLeases(until: done) }
        for _ in 0..<3 {
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(10))
        }
        await clock.waitForSleepers(1)
        #expect(queue.heartbeats.withLock { $0 } == 0)
        #expect(!service.health.up, "nothing reached the database: it is not back")
        done.fire()
        await keeper.value
    }
}
