import Testing
import TetherTestKit

@Suite("ManualClock", .timeLimit(.minutes(1)))
struct ManualClockTests {
    let clock = ManualClock()

    @Test("a sleeper wakes when time reaches its deadline, not before")
    func wakesAtDeadline() async throws {
        let clock = clock
        let sleeper = Task { try await clock.sleep(for: .seconds(5)) }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(4))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        try await sleeper.value
        #expect(clock.sleeperCount == 0)
        #expect(clock.now == .init(offset: .seconds(5)))
    }

    @Test("advancing wakes exactly the sleepers that are due")
    func wakesOnlyDue() async throws {
        let clock = clock
        let sleepers = [3, 1, 2].map { seconds in Task { try await clock.sleep(for: .seconds(seconds)) } }
        await clock.waitForSleepers(3)
        #expect(clock.sleeperDeadlines.map(\.offset) == [.seconds(1), .seconds(2), .seconds(3)])
        clock.advance(by: .seconds(2))
        try await sleepers[1].value
        try await sleepers[2].value
        #expect(clock.sleeperDeadlines.map(\.offset) == [.seconds(3)])
        clock.advance(to: .init(offset: .seconds(3)))
        try await sleepers[0].value
    }

    @Test("a cancelled sleeper ends at once with CancellationError")
    func cancellation() async throws {
        let clock = clock
        let sleeper = Task { try await clock.sleep(for: .seconds(60)) }
        await clock.waitForSleepers(1)
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test("a deadline already passed returns without waiting; a cancelled task does not sleep")
    func pastDeadline() async throws {
        clock.advance(by: .seconds(10))
        try await clock.sleep(until: .init(offset: .seconds(3)), tolerance: nil)
        let clock = clock
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await clock.sleep(for: .seconds(1))
        }
        await #expect(throws: CancellationError.self) { try await cancelled.value }
    }

    @Test("measuring with the clock reports the time advanced")
    func durations() {
        let start = clock.now
        clock.advance(by: .milliseconds(1500))
        #expect(start.duration(to: clock.now) == .milliseconds(1500))
        #expect(clock.minimumResolution == .zero)
    }
}
