import TetherLocking

/// Closes that begin after ``ConnectionPool/run()`` stopped taking jobs (a connection whose
/// attempt finished during shutdown), which `run()` waits for before it returns: a process
/// that exits after `shutdown()` must not do so while a driver still disconnects.
final class LateCloses: Sendable {
    private struct State {
        var running = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Locked(State())

    /// Runs `close` in a task of its own, counted until it returns.
    func start(_ close: @escaping @Sendable () async -> Void) {
        state.withLock { $0.running += 1 }
        Task {
            await close()
            self.finished()
        }
    }

    /// Returns once no counted close runs.
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state in
                guard state.running > 0 else {
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if idle {
                continuation.resume()
            }
        }
    }

    private func finished() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.running -= 1
            guard state.running == 0 else {
                return []
            }
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }
}
