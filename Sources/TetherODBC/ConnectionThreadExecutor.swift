import Glibc
import Synchronization
import TetherLocking

/// Runs tasks on the ODBC connection threads, each on the thread that last served it.
///
/// Without it, every ``ODBCConnection/withSession(_:)`` ends with two thread switches: the
/// connection thread hands the result to Swift's cooperative pool, whose thread must be woken
/// first. A task that prefers this executor is resumed on the connection thread that finished
/// its session, and its next session on that connection runs there at once, without any hop;
/// a ``ConnectionPool`` lends such a task the connection of the thread it runs on whenever that
/// connection is idle (see ``ThreadAffinity``). A worker loop of sessions then switches threads
/// no more often than the same loop written against the ODBC C API.
///
/// ```swift
/// try await withThrowingTaskGroup(of: Void.self) { group in
///     for _ in 0..<8 {
///         group.addTask(executorPreference: ConnectionThreadExecutor.shared) {
///             try await pool.withConnection { try await $0.withSession { try $0.execute("SELECT 1") } }
///         }
///     }
///     try await group.waitForAll()
/// }
/// ```
///
/// Code of such a task runs on a connection thread between its sessions, so it delays the
/// sessions queued behind it on that thread: keep long computations off it. A task resumed
/// outside any connection thread goes in turn to one that is idle (no session running or
/// queued), or to Swift's global executor while none is: never behind a session that may
/// block. Code isolated to an actor runs on the actor, as always.
public final class ConnectionThreadExecutor: TaskExecutor {
    /// The one executor for every connection thread of the process.
    public static let shared = ConnectionThreadExecutor()

    private let threads = Locked<[Mailbox]>([])
    private let turn = Atomic<Int>(0)

    private init() {}

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if let here = Mailbox.current, here.post(resumedTask: job) {
            return
        }
        let candidates = threads.withLock { $0 }
        if !candidates.isEmpty {
            let first = turn.add(1, ordering: .relaxed).newValue
            for offset in 0..<candidates.count
            where candidates[(first + offset) % candidates.count].post(idleTask: job) {
                return
            }
        }
        globalConcurrentExecutor.enqueue(ExecutorJob(job))
    }

    /// `mailbox`'s thread started serving; called on that thread.
    func threadStarted(_ mailbox: Mailbox) {
        threads.withLock { $0.append(mailbox) }
    }

    /// `mailbox`'s thread stops taking work; called on that thread.
    func threadStopping(_ mailbox: Mailbox) {
        threads.withLock { threads in
            threads.removeAll { $0 === mailbox }
        }
    }
}

/// The thread-specific slot that tells a connection thread's code which mailbox it serves.
final class MailboxSlot: Sendable {
    static let shared = MailboxSlot()

    private let key: pthread_key_t

    private init() {
        var key = pthread_key_t()
        let created = pthread_key_create(&key, nil)
        precondition(created == 0, "pthread_key_create failed with \(created)")
        self.key = key
    }

    /// The mailbox the calling thread serves; the thread keeps it alive while it runs.
    var current: Mailbox? {
        pthread_getspecific(key).map { Unmanaged<Mailbox>.fromOpaque($0).takeUnretainedValue() }
    }

    func set(_ mailbox: Mailbox?) {
        pthread_setspecific(key, mailbox.map { UnsafeRawPointer(Unmanaged.passUnretained($0).toOpaque()) })
    }
}
