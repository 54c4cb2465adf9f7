import Testing
import TetherLocking
import TetherTestKit

@testable import QueueMailerCore

/// A database outage nearly as long as a lease: the leases of live instances must be renewed
/// when it is back, before any instance's reaper takes them for those of a dead one.
@Suite("Leases after a database outage")
struct LeasesAfterOutageTests {
    /// A queue whose heartbeats fail while `down` and whose reaper calls are counted.
    final class OutageQueue: MailQueue {
        struct Down: Error {}
        let down = Locked(true)
        let heartbeats = Locked(0)
        let reaps = Locked(0)

        func heartbeat(holding ids: [Int64]) async throws -> Int {
            heartbeats.withLock { $0 += 1 }
            if down.withLock({ $0 }) { throw Down() }
            return ids.count
        }
        func reapExpired() async throws -> Int {
            reaps.withLock { $0 += 1 }
            if down.withLock({ $0 }) { throw Down() }
            return 0
        }
        func claim(limit: Int) async throws -> [ClaimedRequest] { [] }
        func sentAttempt(requestID: Int64) async throws -> Int? { nil }
        func write(_ results: [AttemptResult]) async throws -> Int { results.count }
        func unfinishedCount() async throws -> Int { 0 }
        func scheduledLater() async throws -> (count: Int, nextIn: Duration?) { (0, nil) }
    }

    @Test("while the database is down the heartbeat retries every sixth of the lease, whatever the backoff")
    func heartbeatRetriesWithinTheLease() async {
        let (clock, queue) = (ManualClock(), OutageQueue())
        let service = makeService(queue, clock: clock)
        service.held.withLock { $0 = [7] }
        let done = StopSignal()
        let keeper = Task { await service.keepLeases(until: done) }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(10))  // a third of the lease: the first heartbeat fails
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(5))  // a sixth, not the 30 s backoff
        await clock.waitForSleepers(1)
        #expect(queue.heartbeats.withLock { $0 } == 2)
        done.fire()
        await keeper.value
    }

    @Test("the reaper leaves leases alone while the database is down and for one lease after it is back")
    func reaperWaitsALeaseAfterRecovery() async {
        let (clock, queue, log) = (ManualClock(), OutageQueue(), LogCapture())
        let service = makeService(queue, clock: clock, log: log)
        service.health.failed("claim", OutageQueue.Down(), retryIn: .seconds(1))
        let done = StopSignal()
        let reaper = Task { await service.reap(until: done) }
        await clock.waitForSleepers(1)
        #expect(queue.reaps.withLock { $0 } == 0, "the database is down")
        #expect(deferrals(log).last?.contains("the database is down") == true, "\(log.lines)")
        await expectNoReapForALease(service, queue, clock, reapsBefore: 0)
        #expect(deferrals(log).last?.contains("came back less than a lease ago") == true, "\(log.lines)")
        done.fire()
        await reaper.value
    }

    @Test("a reap that fails as the database goes down is not retried as soon as it is back")
    func failedReapWaitsForItsRound() async {
        let (clock, queue) = (ManualClock(), OutageQueue())
        // A backoff whose first step is shorter than the reaper's interval: a retry would come first.
        let service = makeService(queue, clock: clock, backoff: { $0 == 1 ? .seconds(1) : .seconds(30) })
        let done = StopSignal()
        let reaper = Task { await service.reap(until: done) }  // its first reap finds the database gone
        await clock.waitForSleepers(1)
        #expect(queue.reaps.withLock { $0 } == 1)
        await expectNoReapForALease(service, queue, clock, reapsBefore: 1)
        done.fire()
        await reaper.value
    }

    /// Brings the database back through another part, then checks that the running reaper
    /// reaps again only once a lease (30 s) has passed, `reapsBefore` reaps until then.
    private func expectNoReapForALease(
        _ service: MailerService<ManualClock>, _ queue: OutageQueue, _ clock: ManualClock, reapsBefore: Int
    ) async {
        queue.down.withLock { $0 = false }
        _ = await service.withDatabase("claim") { 1 }  // another part finds the database back
        for _ in 0..<5 {
            clock.advance(by: .seconds(5))  // the reaper interval, 25 s in all
            await clock.waitForSleepers(1)
        }
        #expect(queue.reaps.withLock { $0 } == reapsBefore, "reaped less than a lease after the database came back")
        clock.advance(by: .seconds(5))
        await clock.waitForSleepers(1)
        #expect(queue.reaps.withLock { $0 } == reapsBefore + 1)
    }

    /// The reaper's `reap_deferred` lines so far.
    private func deferrals(_ log: LogCapture) -> [String] {
        log.lines.filter { $0.contains("event=reap_deferred") }
    }

    private func makeService(
        _ queue: OutageQueue, clock: ManualClock, log: LogCapture = LogCapture(),
        backoff: @escaping @Sendable (Int) -> Duration = { _ in .seconds(30) }
    ) -> MailerService<ManualClock> {
        var settings = QueueSettings()
        settings.lease = .seconds(30)
        settings.reaperInterval = .seconds(5)
        return MailerService(
            queue: queue, transport: RelayProbeTests.ProbeScript(failures: 0), settings: settings,
            classifier: OutcomeClassifier(maximumHint: .seconds(60)) { _ in .seconds(1) },
            databaseBackoff: backoff, logger: log.logger(), metrics: MailerMetrics(queue: "q"),
            clock: clock)
    }
}
