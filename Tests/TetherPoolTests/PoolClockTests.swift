import Testing

@testable import TetherPool

/// The pool's clock reads a `ContinuousClock` with its own system call; it must keep the
/// clock's time, since the pool sleeps with the clock itself until deadlines it computed.
@Suite("PoolClock", .timeLimit(.minutes(1)))
struct PoolClockTests {
    @Test("over a ContinuousClock, the time since the start follows the clock's own")
    func followsTheContinuousClock() async throws {
        let clock = ContinuousClock()
        let before = clock.now
        let poolClock = PoolClock(clock)
        let after = clock.now
        try await Task.sleep(for: .milliseconds(30))
        let outerStart = clock.now
        let elapsed = poolClock.elapsed()
        let outerEnd = clock.now
        // The pool's start lies between `before` and `after`; its reading between the outer two.
        #expect(elapsed >= after.duration(to: outerStart) - .microseconds(50))
        #expect(elapsed <= before.duration(to: outerEnd) + .microseconds(50))
        #expect(elapsed >= .milliseconds(30))
    }

    @Test("a sleep until an offset read from the pool's clock ends at that offset, not before")
    func sleepsUntilItsOwnOffsets() async throws {
        let poolClock = PoolClock(ContinuousClock())
        let deadline = poolClock.elapsed() + .milliseconds(20)
        try await poolClock.sleep(deadline)
        #expect(poolClock.elapsed() >= deadline)
    }
}
