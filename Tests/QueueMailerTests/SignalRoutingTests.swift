import Testing
import TetherLocking

@testable import QueueMailerCore

/// Signals that come while `run` starts are neither lost nor fatal.
@Suite("Signals during start-up")
struct SignalRoutingTests {
    @Test("a stop during the start-up cancels it and is remembered")
    func stopCancelsTheStartUp() async {
        let routing = SignalRouting()
        let entered = StopSignal()
        let startup = Task {
            try await routing.startUp {
                entered.fire()
                try await Task.sleep(for: .seconds(60))
            }
        }
        await entered.wait()
        routing.stop()
        await #expect(throws: CancellationError.self) { try await startup.value }
        #expect(routing.stopRequested)
    }

    @Test("cancelling the caller cancels the start-up")
    func callerCancelled() async {
        let routing = SignalRouting()
        let entered = StopSignal()
        let caller = Task {
            try await routing.startUp {
                entered.fire()
                try await Task.sleep(for: .seconds(60))
            }
        }
        await entered.wait()
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(!routing.stopRequested)
    }

    @Test("a stop before the start-up began cancels it as it begins")
    func stopBeforeTheStartUp() async {
        let routing = SignalRouting()
        routing.stop()
        await #expect(throws: CancellationError.self) {
            try await routing.startUp { try await Task.sleep(for: .seconds(60)) }
        }
    }

    @Test("a stop between the start-up and the service reaches the service as it starts serving")
    func stopBeforeServing() async throws {
        let routing = SignalRouting()
        try await routing.startUp {}
        routing.stop()
        let stops = Locked(0)
        routing.serving(stop: { stops.withLock { $0 += 1 } }, reload: {})
        #expect(stops.withLock { $0 } == 1)
        routing.stop()
        #expect(stops.withLock { $0 } == 2, "later stops go to the service too")
    }

    @Test("a reload during the start-up runs once the service serves, and only once")
    func reloadWaitsForTheService() async throws {
        let routing = SignalRouting()
        await routing.reload()
        await routing.reload()
        let reloads = Locked(0)
        let reloaded = StopSignal()
        routing.serving(
            stop: {},
            reload: {
                reloads.withLock { $0 += 1 }
                reloaded.fire()
            })
        await reloaded.wait()
        #expect(reloads.withLock { $0 } == 1)
        await routing.reload()
        #expect(reloads.withLock { $0 } == 2)
    }
}
