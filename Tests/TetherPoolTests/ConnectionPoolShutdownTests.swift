import Synchronization
import Testing
import TetherPool
import TetherTestKit

/// What `shutdown()` waits for besides leases: work that began before it and ends after.
@Suite("ConnectionPool: shutdown with work still running")
struct ConnectionPoolShutdownTests {
    @Test("a connection whose attempt ends during shutdown is closed before shutdown() returns")
    func lateConnectionIsClosedFirst() async throws {
        let factory = GatedFactory()
        var configuration = PoolConfiguration()
        configuration.minimumConnections = 1
        configuration.maximumConnections = 1
        let pool = try ConnectionPool(factory: factory, target: "db", configuration: configuration)
        let run = Task { await pool.run() }
        #expect(await yieldUntil { factory.log.contains("attempt started") })
        let shutdown = Task {
            await pool.shutdown()
            factory.record("shutdown returned")
        }
        // run() stopped taking jobs and cancelled the attempt, which goes on regardless.
        #expect(await yieldUntil { factory.log.contains("attempt cancelled") })
        factory.attemptGate.open()
        #expect(await yieldUntil { factory.log.contains("close started") })
        factory.closeGate.open()
        await shutdown.value
        await run.value
        let expected = ["attempt started", "attempt cancelled", "close started", "close ended", "shutdown returned"]
        #expect(factory.log == expected)
    }

    @Test("attempts that outlive the factory's wait are reported to the delegate")
    func outlivingAttemptsReported() async throws {
        let events = EventLog()
        let pool = try ConnectionPool(factory: OverrunFactory(), target: "db", delegate: events)
        let run = Task { await pool.run() }
        await pool.shutdown()
        await run.value
        #expect(events.all == ["outlived 2"])
    }
}

/// A factory that makes nothing and reports two attempts still running after its wait.
private struct OverrunFactory: ConnectionFactory {
    func makeConnection(to target: String, timeout: Duration) async throws -> Int { 1 }
    func close(_ connection: Int) async {}
    func classify(_ error: any Error) -> ConnectionFailureKind { .other }
    func awaitAbandonedAttempts() async -> Int { 2 }
}

/// A factory whose one attempt and one close each wait for the test to open their gate, and
/// whose attempt ignores cancellation, like a driver's login.
private final class GatedFactory: ConnectionFactory, Sendable {
    let attemptGate = Gate()
    let closeGate = Gate()
    private let events = Mutex<[String]>([])

    var log: [String] { events.withLock { $0 } }

    func record(_ event: String) {
        events.withLock { $0.append(event) }
    }

    func makeConnection(to target: String, timeout: Duration) async throws -> Int {
        record("attempt started")
        await withTaskCancellationHandler {
            await attemptGate.wait()
        } onCancel: {
            self.record("attempt cancelled")
        }
        return 1
    }

    func close(_ connection: Int) async {
        record("close started")
        await closeGate.wait()
        record("close ended")
    }

    func classify(_ error: any Error) -> ConnectionFailureKind { .other }
}
