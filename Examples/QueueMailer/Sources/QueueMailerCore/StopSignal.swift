import Synchronization
import TetherLocking

/// A one-way latch: once fired it stays fired, and every waiter wakes.
///
/// The claimer, heartbeat and reaper wait on it between rounds, so a shutdown does not wait
/// for their next poll.
public final class StopSignal: Sendable {
    private struct State {
        var fired = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextID = 0
    }

    private let state = Locked(State())

    public init() {}

    /// Whether the signal has fired.
    public var isFired: Bool { state.withLock { $0.fired } }

    /// Fires the signal; waking every waiter. Firing again does nothing.
    public func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.fired else { return [] }
            state.fired = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when the signal fires or the calling task is cancelled.
    public func wait() async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.fired || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }

    /// Sleeps for `duration` on `clock`, ending early when the signal fires.
    ///
    /// - Returns: `true` if the signal fired (now or before).
    @discardableResult
    public func sleep<C: Clock>(for duration: Duration, clock: C) async -> Bool where C.Duration == Duration {
        if isFired { return true }
        await Self.sleep(for: duration, clock: clock, endingOnAnyOf: [self])
        return isFired
    }

    /// Sleeps for `duration` on `clock`, ending early when any of `signals` fires or the
    /// calling task is cancelled.
    public static func sleep<C: Clock>(
        for duration: Duration, clock: C, endingOnAnyOf signals: [StopSignal]
    ) async where C.Duration == Duration {
        if signals.contains(where: \.isFired) { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(for: duration) }
            for signal in signals {
                group.addTask { await signal.wait() }
            }
            await group.next()
            group.cancelAll()
        }
    }
}
