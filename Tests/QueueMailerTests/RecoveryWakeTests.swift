import Testing
import TetherLocking
import TetherTestKit

@testable import QueueMailerCore

/// After an outage, a part whose backoff grew long goes on as soon as another part finds the
/// database back, not at the end of its own wait.
@Suite("Parts waiting out a database backoff")
struct RecoveryWakeTests {
    /// A queue whose writes fail while `down`, counting every try.
    final class FlakyWrites: MailQueue {
        struct Down: Error {}
        let down = Locked(true)
        let writes = Locked(0)

        func write(_ results: [AttemptResult]) async throws -> Int {
            writes.withLock { $0 += 1 }
            if down.withLock({ $0 }) { throw Down() }
            return results.count
        }
        func heartbeat(holding ids: [Int64]) async throws -> Int { ids.count }
        func reapExpired() async throws -> Int { 0 }
        func claim(limit: Int) async throws -> [ClaimedRequest] { [] }
        func sentAttempt(requestID: Int64) async throws -> Int? { nil }
        func unfinishedCount() async throws -> Int { 0 }
        func scheduledLater() async throws -> (count: Int, nextIn: Duration?) { (0, nil) }
    }

    @Test("a write in a 30 s backoff is tried again as soon as another part finds the database back")
    func longBackoffEndsWhenTheDatabaseIsBack() async {
        let (clock, queue) = (ManualClock(), FlakyWrites())
        let (service, stop, writer) = await writerInItsLongWait(queue, clock)
        clock.advance(by: .seconds(1))
        await clock.waitForSleepers(1)  // the rest, 29 s, until the database is back
        #expect(queue.writes.withLock { $0 } == 2)
        queue.down.withLock { $0 = false }
        _ = await service.withDatabase("claim") { 1 }  // another part finds the database back
        #expect(await tries(queue, reach: 3), "no try after the database came back")
        stop.fire()
        #expect(await writer.value == 0)
    }

    @Test("a part that fails as the database comes back still waits the first step")
    func recoveryDoesNotShortenTheFirstStep() async {
        let (clock, queue) = (ManualClock(), FlakyWrites())
        let (service, stop, writer) = await writerInItsLongWait(queue, clock)
        queue.down.withLock { $0 = false }
        _ = await service.withDatabase("claim") { 1 }
        try? await Task.sleep(for: .milliseconds(100))  // time for a wrong early try to show
        #expect(queue.writes.withLock { $0 } == 2, "tried again before the first step passed")
        clock.advance(by: .seconds(1))
        #expect(await tries(queue, reach: 3), "no try after the first step")
        stop.fire()
        #expect(await writer.value == 0)
    }

    @Test("a recovery while a try is under way cuts that try's wait short too")
    func recoveryDuringTheTry() async {
        let (clock, queue) = (ManualClock(), FlakyWrites())
        let service = makeService(queue, clock: clock)
        let stop = StopSignal()
        let writer = Task {
            await service.withDatabase("write", stop: stop) {
                // On the second try another part finds the database back before this try fails.
                if queue.writes.withLock({ $0 }) == 1 { service.health.succeeded() }
                return try await queue.write([])
            }
        }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        await clock.waitForSleepers(1)  // the second try failed: its first step
        queue.down.withLock { $0 = false }
        clock.advance(by: .seconds(1))
        #expect(await tries(queue, reach: 3), "no try after the first step")
        stop.fire()
        #expect(await writer.value == 0)
    }

    /// A writer whose two first tries failed, now in the first step (1 s) of a 30 s wait.
    private func writerInItsLongWait(
        _ queue: FlakyWrites, _ clock: ManualClock
    ) async -> (MailerService<ManualClock>, StopSignal, Task<Int?, Never>) {
        let service = makeService(queue, clock: clock)
        let stop = StopSignal()
        let writer = Task { await service.withDatabase("write", stop: stop) { try await queue.write([]) } }
        await clock.waitForSleepers(1)  // the first try failed: a wait of one first step
        clock.advance(by: .seconds(1))
        await clock.waitForSleepers(1)  // the second failed: the first step of a 30 s wait
        return (service, stop, writer)
    }

    /// Waits up to five seconds for `queue` to have seen `count` tries.
    private func tries(_ queue: FlakyWrites, reach count: Int) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while queue.writes.withLock({ $0 }) < count {
            if ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return true
    }

    private func makeService(_ queue: FlakyWrites, clock: ManualClock) -> MailerService<ManualClock> {
        MailerService(
            queue: queue, transport: RelayProbeTests.ProbeScript(failures: 0), settings: QueueSettings(),
            classifier: OutcomeClassifier(maximumHint: .seconds(60)) { _ in .seconds(1) },
            databaseBackoff: { failures in failures == 1 ? .seconds(1) : .seconds(30) },
            logger: LogCapture().logger(), metrics: MailerMetrics(queue: "q"), clock: clock)
    }
}
