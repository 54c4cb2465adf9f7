import CTetherODBC
import Dispatch
import Glibc
import Synchronization
import TetherLocking

/// A thread of its own that runs one connection's jobs, one at a time, in order.
///
/// ODBC calls block, and a connection handle must not be used by two threads at once; this
/// thread is the only one that touches its connection's handles (``CancelSlot`` makes the one
/// exception, `SQLCancel`). The ``ConnectionCore`` is made on the thread and never leaves it:
/// jobs receive it as an argument.
final class ConnectionThread: Sendable {
    typealias Job = @Sendable (ConnectionCore) -> Void

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

    /// Queues `job`; `false` when the thread is stopping and the job will never run.
    func submit(_ job: @escaping Job) -> Bool {
        mailbox.post(job)
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
private final class Mailbox: Sendable {
    private enum Message {
        case job(ConnectionThread.Job)
        case stop(ConnectionThread.Job)
    }

    private struct State {
        var messages: [Message] = []
        var stopping = false
    }

    private let state = Locked(State())
    private let wakeup = DispatchSemaphore(value: 0)
    /// The kernel's id for the thread, 0 until it runs; tests look for it in /proc/self/task.
    let threadID = Atomic<Int32>(0)

    func post(_ job: @escaping ConnectionThread.Job) -> Bool {
        let posted = state.withLock { state in
            guard !state.stopping else {
                return false
            }
            state.messages.append(.job(job))
            return true
        }
        if posted {
            wakeup.signal()
        }
        return posted
    }

    func stop(finally: @escaping ConnectionThread.Job) -> Bool {
        let posted = state.withLock { state in
            guard !state.stopping else {
                return false
            }
            state.stopping = true
            state.messages.append(.stop(finally))
            return true
        }
        if posted {
            wakeup.signal()
        }
        return posted
    }

    /// Runs messages until the stop message; called on the thread.
    func serve(_ core: ConnectionCore) {
        while true {
            wakeup.wait()
            let message = state.withLock { $0.messages.removeFirst() }
            switch message {
            case .job(let job):
                job(core)
            case .stop(let finally):
                finally(core)
                return
            }
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
        mailbox.threadID.store(ctether_gettid(), ordering: .releasing)
        mailbox.serve(makeCore())
    }
}
