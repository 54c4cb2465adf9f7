import Synchronization
import Testing
import TetherLocking
import TetherTestKit

@testable import QueueMailerCore

@Suite("Relay probes")
struct RelayProbeTests {
    /// A relay whose probes fail `failures` times, then succeed; it counts them.
    final class ProbeScript: MailTransport {
        let failures: Int
        let probes = Locked(0)

        init(failures: Int) {
            self.failures = failures
        }

        func deliver(_ request: SendRequest, messageID: String) async -> DeliveryReport {
            Issue.record("the probe test sends nothing")
            return DeliveryReport(verdict: .notStarted, detail: "not expected")
        }

        func probe() async -> String? {
            let number = probes.withLock { count in
                count += 1
                return count
            }
            return number <= failures ? "connect refused (probe \(number))" : nil
        }
    }

    /// A queue the probe loop never touches.
    struct UnusedQueue: MailQueue {
        struct Unused: Error {}
        func claim(limit: Int) async throws -> [ClaimedRequest] { throw Unused() }
        func heartbeat(holding ids: [Int64]) async throws -> Int { throw Unused() }
        func sentAttempt(requestID: Int64) async throws -> Int? { throw Unused() }
        func write(_ results: [AttemptResult]) async throws -> Int { throw Unused() }
        func reapExpired() async throws -> Int { throw Unused() }
        func unfinishedCount() async throws -> Int { throw Unused() }
        func scheduledLater() async throws -> (count: Int, nextIn: Duration?) { throw Unused() }
    }

    @Test("probes wait their backoff on the injected clock, one at a time; a swap cuts the wait short")
    func backoffAndSwap() async {
        let clock = ManualClock()
        let transport = ProbeScript(failures: 2)
        var relay = RelayGateSettings()
        relay.probeBackoff = { attempt in .seconds(10 * attempt) }
        let service = MailerService(
            queue: UnusedQueue(), transport: transport, settings: QueueSettings(),
            classifier: OutcomeClassifier(maximumHint: .seconds(60)) { _ in .seconds(1) },
            databaseBackoff: { _ in .seconds(1) }, logger: LogCapture().logger(), metrics: MailerMetrics(queue: "q"),
            clock: clock, relay: relay)
        let done = StopSignal()
        let loop = Task { await service.probeRelay(until: done) }

        service.relayGate.relayUnavailable("connect refused")
        await clock.waitForSleepers(1)
        #expect(clock.sleeperDeadlines == [clock.now.advanced(by: .seconds(10))], "probe 1 waits backoff(1)")
        #expect(transport.probes.withLock { $0 } == 0)
        clock.advance(by: .seconds(10))
        await until { transport.probes.withLock { $0 } == 1 && clock.sleeperCount == 1 }
        #expect(clock.sleeperDeadlines == [clock.now.advanced(by: .seconds(20))], "probe 2 waits backoff(2)")

        service.relayGate.relaySwapped()
        await until { transport.probes.withLock { $0 } == 2 && clock.sleeperCount == 1 }
        #expect(clock.sleeperDeadlines == [clock.now.advanced(by: .seconds(30))], "the swap's probe failed too")
        #expect(!service.relayGate.isOpen)

        clock.advance(by: .seconds(30))
        #expect(await service.relayGate.waitUntilOpen(stop: StopSignal()))
        #expect(transport.probes.withLock { $0 } == 3)
        done.fire()
        await loop.value
    }

    /// Yields until `condition` holds (bounded by five seconds of real time, then the
    /// expectations after it fail).
    private func until(_ condition: () -> Bool) async {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition(), ContinuousClock.now < deadline {
            await Task.yield()
        }
    }
}
