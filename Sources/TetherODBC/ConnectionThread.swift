import CTetherODBC
import Dispatch
import Glibc
import Synchronization
import TetherLocking
import TetherPool

/// A thread of its own that runs one connection's jobs, one at a time, in order.
///
/// ODBC calls block, and a connection handle must not be used by two threads at once; this
/// thread is the only one that touches its connection's handles (``CancelSlot`` makes the one
/// exception, `SQLCancel`). The ``ConnectionCore`` is made on the thread and never leaves it:
/// jobs receive it as an argument.
final class ConnectionThread: Sendable {
    typealias Job = @Sendable (ConnectionCore) -> Void

    /// The name each connection thread carries (at most 15 bytes, the kernel's limit).
    static let name = "tether-odbc"

    private let mailbox: Mailbox
    private let thread: pthread_t

    /// Starts the thread; `makeCore` runs on it, first.
    init(makeCore: @escaping @Sendable () -> ConnectionCore) {
        let mailbox = Mailbox()
        let start = Unmanaged.passRetained(StartContext(mailbox: mailbox, makeCore: makeCore))
        var thread = pthread_t()
        let created = pthread_create(
            &thread, nil,
            { raw in
                Unmanaged<StartContext>.fromOpaque(raw!).takeRetainedValue().run()
                return nil
            }, start.toOpaque())
        precondition(created == 0, "pthread_create failed with \(created): the process is out of threads")
        self.mailbox = mailbox
        self.thread = thread
    }

    deinit {
        // A connection dropped without `close()` still ends its thread; nobody waits for it.
        if mailbox.stop(finally: { $0.shutdown() }) {
            pthread_detach(thread)
        }
    }

    /// The kernel's id for the thread, 0 until it started.
    var threadID: Int32 { mailbox.threadID.load(ordering: .acquiring) }

    /// The thread's mark for the pool, nil until it started.
    var affinity: ThreadAffinity? { mailbox.affinity.withLock { $0 } }

    /// Queues `job`; `false` when the thread is stopping and the job will never run.
    func submit(_ job: @escaping Job) -> Bool {
        mailbox.post(job)
    }

    /// The connection, for a session to run on at once, when called on this thread (by a task
    /// that ``ConnectionThreadExecutor`` runs here) while no other work waits for it; nil
    /// otherwise. Until ``endSessionHere()`` the thread counts as running a session.
    ///
    /// The caller runs its session itself rather than passing it in: a generic job returning
    /// its value through an optional costs a generic metadata lookup on every session.
    func beginSessionHere() -> ConnectionCore? {
        mailbox.beginSessionHere()
    }

    /// The session begun with ``beginSessionHere()`` ended.
    func endSessionHere() {
        mailbox.endSession()
    }

    /// Runs a session's body in a job on this thread: meanwhile no task is queued here, not
    /// even one that the body itself resumes, since the body may block after it did.
    func runSessionJob<R>(_ body: () throws -> R) rethrows -> R {
        mailbox.beginSession()
        defer { mailbox.endSession() }
        return try body()
    }

    /// Runs `finally` as the last job, ends the thread and waits until it has ended.
    ///
    /// Returns `false` if the thread was already stopped. The wait for the thread to exit
    /// happens after `finally` reported back, so it lasts only as long as the thread takes to
    /// return from its start routine.
    func stop(finally: @escaping Job) async -> Bool {
        let finished = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let stopping = mailbox.stop { core in
                finally(core)
                continuation.resume(returning: true)
            }
            if !stopping {
                continuation.resume(returning: false)
            }
        }
        if finished {
            pthread_join(thread, nil)
        }
        return finished
    }
}

/// The queue between callers and the thread.
///
/// A thread that finished a job may poll for the next one for a short while before it parks
/// (see ``SpinGate``): a caller that submits again within that window (the next session of a
/// worker loop) needs no wake-up, which on this machine costs about as much as a loopback query.
final class Mailbox: Sendable {
    private enum Message {
        case job(ConnectionThread.Job)
        /// A task that prefers ``ConnectionThreadExecutor`` and was resumed for this thread.
        case task(UnownedJob)
        case stop(ConnectionThread.Job)
    }

    private struct State {
        var messages: [Message] = []
        var head = 0
        var stopping = false
        /// The thread waits on `wakeup`; the next post must signal it.
        var parked = false
        /// The thread runs a session or the stop message, which may take long.
        var runningJob = false
    }

    /// Whether a session's body runs on this thread now, in a task (``beginSessionHere()``) or
    /// in a job (``beginSession()``): it may block, on a lock that a task queued behind it holds.
    private let sessionRunning = Atomic<Bool>(false)

    private let state = Locked(State())
    private let wakeup = DispatchSemaphore(value: 0)
    /// Messages posted and not yet taken, read without the lock while polling.
    private let pending = Atomic<Int>(0)
    /// The kernel's id for the thread, 0 until it runs; tests look for it in /proc/self/task.
    let threadID = Atomic<Int32>(0)
    let affinity = Locked<ThreadAffinity?>(nil)
    /// Run by the thread last, after its connection's handles were freed.
    private let exitHooks = Locked<[@Sendable () -> Void]>([])
    /// The connection, while the thread serves; touched only on the thread.
    private nonisolated(unsafe) var core: ConnectionCore?

    /// The mailbox the calling thread serves, nil off the connection threads.
    static var current: Mailbox? { MailboxSlot.shared.current }

    func post(_ job: @escaping ConnectionThread.Job) -> Bool {
        deliver(.job(job), stopping: false)
    }

    /// Queues `task`, resumed by this very thread, only while nothing else is queued and no
    /// session's body runs (one that resumed the task may block next): behind another caller's
    /// session it could wait on a lock that it holds itself (a transaction open on another
    /// connection) and would release next.
    func post(resumedTask task: UnownedJob) -> Bool {
        deliver(.task(task), stopping: false, admission: .nothingQueued)
    }

    /// Queues `task` only while the thread has nothing queued and runs no job: a task sent
    /// here from elsewhere must not wait behind a session that may block for long, perhaps on
    /// a lock that this very task holds and would release next.
    func post(idleTask task: UnownedJob) -> Bool {
        deliver(.task(task), stopping: false, admission: .idle)
    }

    /// When a message may be queued, beyond the thread not stopping.
    private enum Admission {
        case always
        /// Nothing is queued and no session's body runs (a job may be running: the one that
        /// posts, about to end).
        case nothingQueued
        /// Nothing is queued and no session or stop message runs.
        case idle
    }

    /// The connection, when called on this thread with nothing else queued for it; until
    /// ``endSessionHere()``, no task from elsewhere is queued here (``post(idleTask:)``).
    ///
    /// With work queued, the caller goes through the queue like everyone else: a task whose
    /// sessions all ran inline would never suspend, and the tasks queued behind it would starve.
    /// The session is announced before the queue is read, and a poster of an idle task reads
    /// the announcement before it queues (all sequentially consistent): either the poster sees
    /// the session and sends its task elsewhere, or the session sees the task and waits its
    /// turn behind it. Without the announcement a task resumed elsewhere could be queued behind
    /// a session blocked on a row lock that this very task holds and would release next.
    func beginSessionHere() -> ConnectionCore? {
        guard Mailbox.current === self else {
            return nil
        }
        beginSession()
        guard pending.load(ordering: .sequentiallyConsistent) == 0 else {
            endSession()
            return nil
        }
        return core
    }

    /// A session's body starts on this thread; see ``deliver(_:stopping:admission:)``.
    func beginSession() {
        sessionRunning.store(true, ordering: .sequentiallyConsistent)
    }

    func endSession() {
        sessionRunning.store(false, ordering: .releasing)
    }

    func stop(finally: @escaping ConnectionThread.Job) -> Bool {
        deliver(.stop(finally), stopping: true)
    }

    private func deliver(_ message: Message, stopping: Bool, admission: Admission = .always) -> Bool {
        let (posted, wake) = state.withLock { state -> (Bool, Bool) in
            let nothingQueued = state.head == state.messages.count
            let admitted =
                switch admission {
                case .always: true
                case .nothingQueued: nothingQueued
                case .idle: nothingQueued && !state.runningJob
                }
            guard !state.stopping, admitted else {
                return (false, false)
            }
            state.messages.append(message)
            // Counted before the session flag is read, as a session sets the flag before it
            // reads the count (all sequentially consistent): either the session sees this
            // task and queues behind it, or this sees the session and takes the task back.
            pending.add(1, ordering: .sequentiallyConsistent)
            if admission != .always && sessionRunning.load(ordering: .sequentiallyConsistent) {
                state.messages.removeLast()
                pending.subtract(1, ordering: .relaxed)
                return (false, false)
            }
            state.stopping = stopping
            defer { state.parked = false }
            return (true, state.parked)
        }
        if wake {
            wakeup.signal()
        }
        return posted
    }

    /// Has `hook` run by the thread as the last thing before it ends.
    func atExit(_ hook: @escaping @Sendable () -> Void) {
        exitHooks.withLock { $0.append(hook) }
    }

    /// Runs the hooks of ``atExit(_:)``; called on the thread as it ends.
    func runExitHooks() {
        exitHooks.withLock { $0 }.forEach { $0() }
    }

    /// Runs messages until the stop message; called on the thread.
    func serve(_ core: ConnectionCore) {
        let executor = ConnectionThreadExecutor.shared
        MailboxSlot.shared.set(self)
        self.core = core
        executor.threadStarted(self)
        SpinGate.woken()
        defer {
            SpinGate.parking()
            self.core = nil
            MailboxSlot.shared.set(nil)
        }
        while true {
            switch next() {
            case .job(let job):
                job(core)
            case .task(let job):
                job.runSynchronously(on: executor.asUnownedTaskExecutor())
            case .stop(let finally):
                // Tasks that `finally` resumes go to another thread: this one takes no more work.
                executor.threadStopping(self)
                finally(core)
                return
            }
        }
    }

    /// The next message: polls briefly when allowed to, then parks until one is posted.
    private func next() -> Message {
        var polled = false
        while true {
            if !polled {
                polled = true
                SpinGate.poll { pending.load(ordering: .acquiring) > 0 }
            }
            let message = state.withLock { state -> Message? in
                guard state.head < state.messages.count else {
                    state.parked = true
                    state.runningJob = false
                    return nil
                }
                let message = state.messages[state.head]
                if case .task = message {
                    state.runningJob = false
                } else {
                    state.runningJob = true
                }
                state.head += 1
                if state.head == state.messages.count {
                    state.messages.removeAll(keepingCapacity: state.messages.count < 64)
                    state.head = 0
                }
                pending.subtract(1, ordering: .relaxed)
                return message
            }
            if let message {
                return message
            }
            SpinGate.parking()
            wakeup.wait()
            SpinGate.woken()
        }
    }
}

/// When a connection thread may poll for its next job, and for how long.
///
/// Polling pays where one caller works through one connection at a time: the thread is awake
/// when the caller comes back. With several connections busy, the database and the other
/// threads need the cores, so a thread polls only while no other connection thread is awake.
enum SpinGate {
    /// How long a thread polls before it parks: a caller whose thread must first be woken
    /// comes back with its next session after about 15 µs here.
    static let window = Duration.microseconds(50)

    /// Connection threads not parked.
    private static let awake = Atomic<Int>(0)

    static func woken() {
        awake.add(1, ordering: .relaxed)
    }

    static func parking() {
        awake.subtract(1, ordering: .relaxed)
    }

    /// Polls `ready` until it holds or ``window`` passed; returns at once while other
    /// connection threads are awake.
    static func poll(_ ready: () -> Bool) {
        guard !ready(), awake.load(ordering: .relaxed) <= 1 else {
            return
        }
        let end = ContinuousClock.now + window
        while !ready() && ContinuousClock.now < end && awake.load(ordering: .relaxed) <= 1 {
            sched_yield()
        }
    }
}

private final class StartContext: Sendable {
    let mailbox: Mailbox
    let makeCore: @Sendable () -> ConnectionCore

    init(mailbox: Mailbox, makeCore: @escaping @Sendable () -> ConnectionCore) {
        self.mailbox = mailbox
        self.makeCore = makeCore
    }

    func run() {
        // Named for `top -H` and `ps -L`; it would otherwise keep the name of the thread that
        // made it, a Dispatch worker's ("…root.default-qos").
        ctether_name_thread(ConnectionThread.name)
        mailbox.threadID.store(ctether_gettid(), ordering: .releasing)
        let affinity = ThreadAffinity.markCurrentThread()
        mailbox.affinity.withLock { $0 = affinity }
        mailbox.serve(makeCore())
        mailbox.runExitHooks()
    }
}
