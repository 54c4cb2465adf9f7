import CTetherODBC
import Synchronization

/// Where a cancelled task meets the connection thread.
///
/// The thread records which session runs and which statement is executing; a cancelling task
/// marks the session cancelled and, when a statement is executing, calls `SQLCancel` on it from
/// the cancelling thread. Both happen under one lock, so a statement handle is never cancelled
/// after the thread has moved on and freed or reused it.
final class CancelSlot: Sendable {
    fileprivate struct State {
        var running: UInt64?
        var cancelled: Set<UInt64> = []
        var executing: UInt?
    }

    fileprivate let state = Mutex(State())

    /// Marks session `id` cancelled, and stops its running statement if there is one.
    func cancel(_ id: UInt64) {
        state.withLock { state in
            state.cancelled.insert(id)
            if state.running == id, let bits = state.executing {
                SQLCancel(UnsafeMutableRawPointer(bitPattern: bits))
            }
        }
    }

    /// Session `id` starts on the thread; `false` if it was cancelled before it started.
    func begin(_ id: UInt64) -> Bool {
        state.withLock { state in
            state.running = id
            return !state.cancelled.contains(id)
        }
    }

    /// Session `id` ended; forgets it.
    func end(_ id: UInt64) {
        state.withLock { state in
            state.running = nil
            state.executing = nil
            state.cancelled.remove(id)
        }
    }

    /// Whether session `id` was cancelled.
    func isCancelled(_ id: UInt64) -> Bool {
        state.withLock { $0.cancelled.contains(id) }
    }

    /// Runs `call` with `statement` open to `SQLCancel`; `nil` without running it when session
    /// `id` is already cancelled.
    func executing<R>(_ id: UInt64, _ statement: SQLHSTMT, _ call: () -> R) -> R? {
        let proceed = state.withLock { state in
            state.executing = UInt(bitPattern: statement)
            return !state.cancelled.contains(id)
        }
        defer { state.withLock { $0.executing = nil } }
        return proceed ? call() : nil
    }
}

extension CancelSlot {
    /// Cancels whichever session is running now, if any.
    func cancelRunning() {
        guard let running = state.withLock({ $0.running }) else {
            return
        }
        cancel(running)
    }
}
