import Dispatch
import TetherLocking

/// Logins whose callers stopped waiting and that still run on their connection threads.
///
/// A driver's login cannot be interrupted: when its caller is cancelled (a pool shutting
/// down, a factory's budget spent) the thread finishes the login, disconnects and ends on its
/// own. Until then it is inside the driver, often inside OpenSSL; a process that exits
/// meanwhile tears those libraries down under the thread's feet. The environment keeps count,
/// so that whoever ends the process can wait for them first.
final class AbandonedLogins: Sendable {
    private struct State {
        /// Each abandoned login, by its handoff, with the moment it is given up on.
        var running: [ObjectIdentifier: ContinuousClock.Instant] = [:]
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Locked(State())

    /// How many are still running.
    var count: Int { state.withLock { $0.running.count } }

    /// How many waits are suspended now.
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Counts `login` until ``ended(_:)``; after `deadline` a wait no longer waits for it.
    func abandoned(_ login: ObjectIdentifier, deadline: ContinuousClock.Instant) {
        state.withLock { $0.running[login] = deadline }
    }

    /// `login` disconnected, or turned out not to be abandoned after all.
    func ended(_ login: ObjectIdentifier) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.running[login] = nil
            guard state.running.isEmpty else {
                return []
            }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        waiters.forEach { $0.resume() }
    }

    /// Waits until every abandoned login ended, or until the latest deadline among them passed.
    ///
    /// Cancelling the calling task does not shorten it: it waits for cleanup, bounded by the
    /// logins' own timeouts, and a shutdown that cancels its tasks needs it most.
    ///
    /// - Returns: How many still run, 0 unless a driver overran its login timeout.
    func wait() async -> Int {
        while let deadline = state.withLock({ $0.running.values.max() }), deadline > .now {
            await untilNoneRun(orUntil: deadline)
        }
        return count
    }

    /// Returns once nothing runs or `deadline` has passed.
    private func untilNoneRun(orUntil deadline: ContinuousClock.Instant) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let id = state.withLock { state -> Int? in
                guard !state.running.isEmpty else {
                    return nil
                }
                defer { state.nextWaiter += 1 }
                state.waiters[state.nextWaiter] = continuation
                return state.nextWaiter
            }
            guard let id else {
                continuation.resume()
                return
            }
            let (seconds, attoseconds) = (deadline - .now).components
            let nanoseconds = max(0, Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) {
                self.state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
            }
        }
    }
}
