import CTetherODBC
import Dispatch
import Synchronization
import TetherLocking

/// Where a cancelled task meets the connection thread.
///
/// The thread records which session runs and which statement is executing; a cancelling task
/// marks its session cancelled and, when that session's statement is executing, calls
/// `SQLCancel` on it from the cancelling thread, never after the thread has moved on and freed
/// or reused the handle.
///
/// The record is one atomic word: the address of the running session's token, a bit for "its
/// statement is executing" and a bit for "a canceller holds the record". The thread changes the
/// word with one compare-and-exchange per step (a session begins or ends, a call starts or
/// returns), without a lock: four lock round trips per query were a measurable share of a
/// session's cost. A canceller sets the hold bit, under a lock that only cancellers take, for
/// as long as it calls `SQLCancel`; a thread that finds the bit set waits for that lock, so
/// it never frees a statement handle that is being cancelled.
///
/// Why no cancel is lost: the thread publishes the call, then reads the session's flag; the
/// canceller sets the flag, then reads the word (all sequentially consistent). So either the
/// thread sees the flag and never starts the call, or the canceller finds the call. What this
/// cannot close is the gap inside the driver call before the statement really runs: psqlODBC
/// ignores `SQLCancel` until it has marked the statement executing, and PostgreSQL ignores a
/// cancel that reaches the backend before the query does. So the cancelling side sends
/// `SQLCancel` again, after ``firstRepeat`` and then at doubling intervals up to
/// ``longestRepeat``, for as long as the same call runs; each call has a number, so a repeat
/// never reaches a statement that finished or a later one.
final class CancelSlot: Sendable {
    /// Runs a job after a delay, off the cooperative pool.
    typealias Schedule = @Sendable (Duration, @escaping @Sendable () -> Void) -> Void

    /// The wait before the first repeated `SQLCancel`: longer than the driver needs to mark a
    /// statement executing and send it, short beside what a user waits for.
    static let firstRepeat = Duration.milliseconds(10)
    /// The longest wait between repeats, for a statement that takes long to stop.
    static let longestRepeat = Duration.seconds(1)

    /// The word's low bits; a token's address, aligned to 16 bytes, leaves them free.
    private static let executingBit: UInt = 1
    private static let heldBit: UInt = 2

    /// The running session's token address, with ``executingBit`` and ``heldBit``.
    private let word = Atomic<UInt>(0)
    // Written by the thread before it sets the executing bit; read by a canceller only while
    // it holds the word with that bit set, when the thread cannot change them.
    private nonisolated(unsafe) var statement: UInt = 0
    /// Counts driver calls, so that a repeated cancel knows whether its call still runs.
    private nonisolated(unsafe) var execution = 0
    /// Taken by cancellers, and by the thread only to wait for one that holds the word.
    private let cancelling = Locked(())
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
        session.isCancelled.store(true, ordering: .sequentiallyConsistent)
        if let execution = cancelling.withLock({ _ in stopExecuting(session, execution: nil) }) {
            repeatCancel(session, execution, after: Self.firstRepeat)
        }
    }

    /// Cancels whichever session is running now, if any.
    ///
    /// The session is marked and its statement stopped while the record is held: the session
    /// can then neither end nor start or finish a call, so the mark lands on this session even
    /// though its token serves every session the connection runs in place.
    func cancelRunning() {
        let stopped = cancelling.withLock { _ -> (SessionToken, Int)? in
            while true {
                let current = word.load(ordering: .sequentiallyConsistent)
                guard current != 0 else {
                    return nil
                }
                if word.compareExchange(
                    expected: current, desired: current | Self.heldBit, ordering: .sequentiallyConsistent
                )
                .exchanged {
                    defer { word.store(current, ordering: .sequentiallyConsistent) }
                    // Held, the session cannot end, so its token is alive to be retained here.
                    let session = Unmanaged<SessionToken>.fromOpaque(
                        UnsafeRawPointer(bitPattern: current & ~Self.executingBit)!
                    )
                    .takeUnretainedValue()
                    session.isCancelled.store(true, ordering: .sequentiallyConsistent)
                    guard current & Self.executingBit != 0 else {
                        return nil
                    }
                    cancelStatement(statement)
                    return (session, execution)
                }
            }
        }
        if let (session, execution) = stopped {
            repeatCancel(session, execution, after: Self.firstRepeat)
        }
    }

    /// `session` starts on the thread; `false` if it was cancelled before it started.
    func begin(_ session: SessionToken) -> Bool {
        // Nobody holds a word that names no session: a plain store.
        word.store(Self.address(of: session), ordering: .sequentiallyConsistent)
        return !session.isCancelled.load(ordering: .sequentiallyConsistent)
    }

    /// The running session ended.
    func end() {
        step(from: word.load(ordering: .relaxed) & ~Self.heldBit, to: 0)
    }

    /// Runs `call` with `statement` open to `SQLCancel`; `nil` without running it when
    /// `session` is already cancelled. Work outside any session (`session` nil) always runs.
    func executing<R>(_ session: SessionToken?, _ statement: SQLHSTMT, _ call: () -> R) -> R? {
        guard let session else {
            return call()
        }
        let running = Self.address(of: session)
        self.statement = UInt(bitPattern: statement)
        execution += 1
        step(from: running, to: running | Self.executingBit)
        defer { step(from: running | Self.executingBit, to: running) }
        return session.isCancelled.load(ordering: .sequentiallyConsistent) ? nil : call()
    }

    /// The thread's change of the word; waits while a canceller holds it.
    private func step(from expected: UInt, to desired: UInt) {
        if word.compareExchange(expected: expected, desired: desired, ordering: .sequentiallyConsistent).exchanged {
            return
        }
        // A canceller holds the word only under `cancelling`, and gives it back before unlocking.
        cancelling.withLock { _ in
            let changed = word.compareExchange(expected: expected, desired: desired, ordering: .sequentiallyConsistent)
            precondition(
                changed.exchanged, "CancelSlot: the record is \(changed.original), the thread expected \(expected)")
        }
    }

    /// Calls `SQLCancel` when `session`'s statement executes (the call numbered `execution`,
    /// when given); returns the number of the call it cancelled. Called under `cancelling`.
    private func stopExecuting(_ session: SessionToken, execution wanted: Int?) -> Int? {
        let executing = Self.address(of: session) | Self.executingBit
        guard
            word.compareExchange(
                expected: executing, desired: executing | Self.heldBit, ordering: .sequentiallyConsistent
            )
            .exchanged
        else {
            return nil
        }
        defer { word.store(executing, ordering: .sequentiallyConsistent) }
        guard wanted ?? execution == execution else {
            return nil
        }
        cancelStatement(statement)
        return execution
    }

    private static func address(of session: SessionToken) -> UInt {
        UInt(bitPattern: Unmanaged.passUnretained(session).toOpaque())
    }

    private func repeatCancel(_ session: SessionToken, _ execution: Int, after delay: Duration) {
        schedule(delay) { [self] in
            let stillRunning = cancelling.withLock { _ in stopExecuting(session, execution: execution) } != nil
            if stillRunning {
                repeatCancel(session, execution, after: min(delay * 2, Self.longestRepeat))
            }
        }
    }
}

/// One `withSession` call, as cancellation sees it; or, reused, each session a connection
/// runs in place, one after another (see ``ConnectionCore/inPlaceToken``).
final class SessionToken: Sendable {
    let isCancelled = Atomic<Bool>(false)

    var wasCancelled: Bool { isCancelled.load(ordering: .relaxed) }

    /// Not cancelled, for the next session run in place; before its cancellation handler is
    /// added, which marks it at once when the task is cancelled already.
    func reuse() {
        isCancelled.store(false, ordering: .sequentiallyConsistent)
    }
}
