import CTetherODBC
import Synchronization
import TetherLocking

/// Where a cancelled task meets the connection thread.
///
/// The thread records which session runs and which statement is executing; a cancelling task
/// marks its session cancelled and, when that session's statement is executing, calls
/// `SQLCancel` on it from the cancelling thread. Both happen under one lock, so a statement
/// handle is never cancelled after the thread has moved on and freed or reused it.
final class CancelSlot: Sendable {
    private struct State {
        var running: SessionToken?
        var executing: UInt?
    }

    private let state = Locked(State())

    /// Marks `session` cancelled, and stops its running statement if there is one.
    func cancel(_ session: SessionToken) {
        state.withLock { state in
            session.isCancelled.store(true, ordering: .relaxed)
            if state.running === session, let bits = state.executing {
                SQLCancel(UnsafeMutableRawPointer(bitPattern: bits))
            }
        }
    }

    /// Cancels whichever session is running now, if any.
    func cancelRunning() {
        let running = state.withLock { $0.running }
        if let running {
            cancel(running)
        }
    }

    /// `session` starts on the thread; `false` if it was cancelled before it started.
    func begin(_ session: SessionToken) -> Bool {
        state.withLock { state in
            state.running = session
            return !session.isCancelled.load(ordering: .relaxed)
        }
    }

    /// The running session ended.
    func end() {
        state.withLock { state in
            state.running = nil
            state.executing = nil
        }
    }

    // Not yet: a cancel between this check and the driver sending the statement is lost until the query timeout.
    /// Runs `call` with `statement` open to `SQLCancel`; `nil` without running it when
    /// `session` is already cancelled. Work outside any session (`session` nil) always runs.
    func executing<R>(_ session: SessionToken?, _ statement: SQLHSTMT, _ call: () -> R) -> R? {
        let proceed = state.withLock { state in
            state.executing = UInt(bitPattern: statement)
            return !(session?.isCancelled.load(ordering: .relaxed) ?? false)
        }
        defer { state.withLock { $0.executing = nil } }
        return proceed ? call() : nil
    }
}

/// One `withSession` call, as cancellation sees it.
final class SessionToken: Sendable {
    let isCancelled = Atomic<Bool>(false)

    var wasCancelled: Bool { isCancelled.load(ordering: .relaxed) }
}
