import CTetherODBC
import Dispatch
import Synchronization
import TetherLocking

/// Where a cancelled task meets the connection thread.
///
/// The thread records which session runs and which statement is executing; a cancelling task
/// marks its session cancelled and, when that session's statement is executing, calls
/// `SQLCancel` on it from the cancelling thread. Both happen under one lock, so a statement
/// handle is never cancelled after the thread has moved on and freed or reused it.
///
/// Why no cancel is lost: the flag and the executing statement are read and written under one
/// lock, so a cancel either comes first, and ``executing(_:_:_:)`` sees the flag and never
/// starts the call, or comes second, and finds the statement recorded. What the lock cannot
/// close is the gap inside the driver call before the statement really runs: psqlODBC ignores
/// `SQLCancel` until it has marked the statement executing, and PostgreSQL ignores a cancel
/// that reaches the backend before the query does. So the cancelling side sends `SQLCancel`
/// again, after ``firstRepeat`` and then at doubling intervals up to ``longestRepeat``, for as
/// long as the same execution is recorded; the thread clears the record under the lock when
/// the call returns, so a repeat never reaches a statement that finished or a later one.
final class CancelSlot: Sendable {
    /// Runs a job after a delay, off the cooperative pool.
    typealias Schedule = @Sendable (Duration, @escaping @Sendable () -> Void) -> Void

    /// The wait before the first repeated `SQLCancel`: longer than the driver needs to mark a
    /// statement executing and send it, short beside what a user waits for.
    static let firstRepeat = Duration.milliseconds(10)
    /// The longest wait between repeats, for a statement that takes long to stop.
    static let longestRepeat = Duration.seconds(1)

    private struct State {
        var running: SessionToken?
        var executing: UInt?
        /// Counts driver calls, so that a repeated cancel knows whether its call still runs.
        var execution = 0
    }

    private let state = Locked(State())
    private let cancelStatement: @Sendable (UInt) -> Void
    private let schedule: Schedule

    /// A slot that calls `SQLCancel` and repeats it on a global dispatch queue.
    convenience init() {
        self.init(
            cancelStatement: { SQLCancel(UnsafeMutableRawPointer(bitPattern: $0)) },
            schedule: { delay, job in
                let nanoseconds =
                    Int(delay.components.seconds) * 1_000_000_000
                    + Int(delay.components.attoseconds / 1_000_000_000)
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds), execute: job)
            })
    }

    /// A slot with the cancel call and the timer given; tests record both.
    init(cancelStatement: @escaping @Sendable (UInt) -> Void, schedule: @escaping Schedule) {
        self.cancelStatement = cancelStatement
        self.schedule = schedule
    }

    /// Marks `session` cancelled, and stops its running statement if there is one.
    func cancel(_ session: SessionToken) {
        let execution = state.withLock { state -> Int? in
            session.isCancelled.store(true, ordering: .relaxed)
            return cancelExecuting(session, in: state, execution: nil)
        }
        if let execution {
            repeatCancel(session, execution, after: Self.firstRepeat)
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

    /// Runs `call` with `statement` open to `SQLCancel`; `nil` without running it when
    /// `session` is already cancelled. Work outside any session (`session` nil) always runs.
    func executing<R>(_ session: SessionToken?, _ statement: SQLHSTMT, _ call: () -> R) -> R? {
        let proceed = state.withLock { state in
            state.executing = UInt(bitPattern: statement)
            state.execution += 1
            return !(session?.isCancelled.load(ordering: .relaxed) ?? false)
        }
        defer { state.withLock { $0.executing = nil } }
        return proceed ? call() : nil
    }

    /// Calls `SQLCancel` when `session` runs a statement (the call numbered `execution`, when
    /// given); returns the number of the call it cancelled. Called under the lock.
    private func cancelExecuting(_ session: SessionToken, in state: State, execution: Int?) -> Int? {
        guard state.running === session, let bits = state.executing, execution ?? state.execution == state.execution
        else {
            return nil
        }
        cancelStatement(bits)
        return state.execution
    }

    private func repeatCancel(_ session: SessionToken, _ execution: Int, after delay: Duration) {
        schedule(delay) { [self] in
            let stillRunning = state.withLock { cancelExecuting(session, in: $0, execution: execution) } != nil
            if stillRunning {
                repeatCancel(session, execution, after: min(delay * 2, Self.longestRepeat))
            }
        }
    }
}

/// One `withSession` call, as cancellation sees it.
final class SessionToken: Sendable {
    let isCancelled = Atomic<Bool>(false)

    var wasCancelled: Bool { isCancelled.load(ordering: .relaxed) }
}
