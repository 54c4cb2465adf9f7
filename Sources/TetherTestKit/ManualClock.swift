import Foundation

/// A clock that moves only when a test tells it to.
///
/// Code under test receives the clock as its injected `Clock` and sleeps on it as usual;
/// the test waits until the expected number of sleepers is registered with
/// ``waitForSleepers(_:)``, then moves time with ``advance(by:)``. Sleepers whose
/// deadline has come are resumed in deadline order, earliest first. A sleeping task that
/// is cancelled ends at once with `CancellationError`, as with the system clocks.
///
/// ```swift
/// let clock = ManualClock()
/// let sleeper = Task { try await clock.sleep(for: .seconds(5)) }
/// await clock.waitForSleepers(1)
/// clock.advance(by: .seconds(5))
/// try await sleeper.value
/// ```
public final class ManualClock: Clock, @unchecked Sendable {
    /// A point on the manual clock's timeline: the time advanced since the clock was made.
    public struct Instant: InstantProtocol, Sendable, CustomStringConvertible {
        /// The time since the clock's start.
        public var offset: Duration

        /// Makes the instant `offset` after the clock's start.
        public init(offset: Duration) {
            self.offset = offset
        }

        public func advanced(by duration: Duration) -> Instant {
            Instant(offset: offset + duration)
        }

        public func duration(to other: Instant) -> Duration {
            other.offset - offset
        }

        public static func < (lhs: Instant, rhs: Instant) -> Bool {
            lhs.offset < rhs.offset
        }

        public var description: String { "t+\(offset)" }
    }

    // An NSLock (a pthread mutex underneath) rather than Synchronization.Mutex: on Linux
    // ThreadSanitizer cannot see Mutex's futex and would report the clock's own state as
    // racing in every sanitized test run. Speed does not matter here.
    private let lock = NSLock()
    private nonisolated(unsafe) var clockState = ManualClockState()

    /// Makes a clock that starts at ``Instant/offset`` zero.
    public init() {}

    /// The current instant: the start plus every advance so far.
    public var now: Instant {
        withState { $0.now }
    }

    /// The manual clock has no resolution limit.
    public var minimumResolution: Duration { .zero }

    /// The number of tasks sleeping on the clock right now.
    public var sleeperCount: Int {
        withState { $0.sleepers.count }
    }

    /// The deadlines of the tasks sleeping right now, earliest first.
    public var sleeperDeadlines: [Instant] {
        withState { $0.sleepers.map(\.deadline).sorted() }
    }

    /// Suspends until `deadline`, or throws `CancellationError` at once when the task is
    /// cancelled. A deadline that is not in the future returns without suspending.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let id = withState { $0.makeSleeperID() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: SleeperContinuation) in
                // Read under the lock: a cancellation handler that ran before registration
                // found nothing to cancel, so registration must see the flag instead.
                let action = withState {
                    $0.sleepRegistered(id, deadline: deadline, continuation, isCancelled: Task.isCancelled)
                }
                action.run()
            }
        } onCancel: {
            withState { $0.sleeperCancelled(id) }.run()
        }
    }

    /// Moves time forward by `duration` and resumes every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "ManualClock cannot move backwards (advance by \(duration))")
        advance(to: now.advanced(by: duration))
    }

    /// Moves time to `instant` (which must not be in the past) and resumes every sleeper
    /// whose deadline has come.
    public func advance(to instant: Instant) {
        let due = withState { $0.advance(to: instant) }
        for continuation in due {
            continuation.resume()
        }
    }

    /// Returns once at least `count` tasks are sleeping on the clock.
    ///
    /// Tests call it before ``advance(by:)`` so they never race the code under test and
    /// never need a real sleep.
    public func waitForSleepers(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            withState { $0.sleeperWaiterRegistered(count, continuation) }?.resume()
        }
    }

    private func withState<Result>(_ body: (inout ManualClockState) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&clockState)
    }
}
