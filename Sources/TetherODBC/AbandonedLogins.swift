import Dispatch
import Synchronization
import TetherLocking

/// Logins whose callers stopped waiting and that still run on their connection threads.
///
/// A driver's login cannot be interrupted: when its caller is cancelled (a pool shutting
/// down, a factory's budget spent) the thread finishes the login, disconnects and ends on its
/// own. Until then it is inside the driver, often inside OpenSSL; a process that exits
/// meanwhile tears those libraries down under the thread's feet. The environment keeps count,
/// so that whoever ends the process can wait for them first, and so does each
/// ``ODBCConnectionFactory``, so that a pool waits for its own logins only.
final class AbandonedLogins: Sendable {
    /// One login's entry in every count that waits for it.
    struct Record: Sendable {
        private static let lastID = Atomic<UInt64>(0)

        let id = Record.lastID.wrappingAdd(1, ordering: .relaxed).newValue
        let counts: [AbandonedLogins]

        func abandoned(deadline: ContinuousClock.Instant) {
            counts.forEach { $0.abandoned(id, deadline: deadline) }
        }

        func ended() {
            counts.forEach { $0.ended(id) }
        }
    }

    private struct State {
        /// Each abandoned login, by its ``Record/id``, with the moment it is given up on.
        var running: [UInt64: ContinuousClock.Instant] = [:]
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Locked(State())

    /// How many are still running.
    var count: Int { state.withLock { $0.running.count } }

    /// How many waits are suspended now.
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Counts `login` until ``ended(_:)``; after `deadline` a wait no longer waits for it.
    func abandoned(_ login: UInt64, deadline: ContinuousClock.Instant) {
        state.withLock { $0.running[login] = deadline }
    }

    /// `login` disconnected, or turned out not to be abandoned after all; every wait looks again.
    func ended(_ login: UInt64) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.running[login] = nil
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        waiters.forEach { $0.resume() }
    }

    /// Waits until every login abandoned before the call has ended, or until the latest of
    /// their deadlines has passed; logins abandoned meanwhile do not lengthen the wait.
    ///
    /// Cancelling the calling task does not shorten it: it waits for cleanup, bounded by the
    /// logins' own timeouts, and a shutdown that cancels its tasks needs it most.
    ///
    /// - Returns: How many of those still run, 0 unless a driver overran its login timeout.
    func wait() async -> Int {
        let (waitedFor, deadline) = state.withLock { ($0.running, $0.running.values.max()) }
        guard let deadline else {
            return 0
        }
        while deadline > .now, stillRunning(of: waitedFor) > 0 {
            await untilOneEnds(orUntil: deadline)
        }
        return stillRunning(of: waitedFor)
    }

    /// How many of `logins` are still counted.
    private func stillRunning(of logins: [UInt64: ContinuousClock.Instant]) -> Int {
        state.withLock { state in logins.keys.count(where: { state.running[$0] != nil }) }
    }

    /// Returns once a login ends or `deadline` has passed.
    private func untilOneEnds(orUntil deadline: ContinuousClock.Instant) async {
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
