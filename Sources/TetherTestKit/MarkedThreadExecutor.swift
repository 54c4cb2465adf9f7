import Dispatch
import Foundation
import TetherLocking
import TetherPool

/// A thread of its own, marked with a ``ThreadAffinity``, that runs the tasks preferring it
/// one job at a time, in order.
///
/// It stands in for the thread of a connection that does its work on a thread of its own
/// (as ODBC connections do), so a test of a factory with thread affinity can run code where
/// the pool lends that thread's connection first. Give its ``mark`` to
/// ``FakeConnectionFactory/init(defaultAttempt:threadMarks:)``.
///
/// ```swift
/// let thread = MarkedThreadExecutor()
/// defer { thread.stop() }
/// let factory = FakeConnectionFactory(threadMarks: [thread.mark])
/// let id = try await Task(executorPreference: thread) { try await pool.withConnection { $0.id } }.value
/// ```
public final class MarkedThreadExecutor: TaskExecutor, Sendable {
    private let worker: Worker

    /// The thread's mark.
    public let mark: ThreadAffinity

    /// Starts the thread and waits until it is marked.
    public init() {
        let worker = Worker()
        let started = DispatchSemaphore(value: 0)
        let marked = Locked<ThreadAffinity?>(nil)
        let thread = Thread {
            marked.withLock { $0 = ThreadAffinity.markCurrentThread() }
            started.signal()
            worker.serve()
        }
        thread.start()
        started.wait()
        guard let mark = marked.withLock({ $0 }) else {
            preconditionFailure("MarkedThreadExecutor: the thread started without a mark")
        }
        self.worker = worker
        self.mark = mark
        // Before any job can be queued: only this executor queues them, and it exists from now.
        worker.executor = asUnownedTaskExecutor()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if !worker.push(job) {
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
    }

    /// Ends the thread once the jobs queued so far have run. Jobs of tasks that still prefer
    /// this executor afterwards run on Swift's global executor, so no such task is left waiting.
    public func stop() {
        worker.stop()
    }
}

/// The queue the marked thread serves.
private final class Worker: Sendable {
    private let jobs = Locked<(queue: [UnownedJob], stopped: Bool)>(([], false))
    private let ready = DispatchSemaphore(value: 0)
    /// Set once, before the first job is queued; the semaphore orders it before every read.
    nonisolated(unsafe) var executor: UnownedTaskExecutor?

    /// Queues `job`; `false` once the thread was told to stop, when it may have ended already.
    func push(_ job: UnownedJob) -> Bool {
        let queued = jobs.withLock { jobs in
            guard !jobs.stopped else {
                return false
            }
            jobs.queue.append(job)
            return true
        }
        if queued {
            ready.signal()
        }
        return queued
    }

    func stop() {
        jobs.withLock { $0.stopped = true }
        ready.signal()
    }

    func serve() {
        while true {
            ready.wait()
            let (next, stopped) = jobs.withLock { jobs -> (UnownedJob?, Bool) in
                (jobs.queue.isEmpty ? nil : jobs.queue.removeFirst(), jobs.stopped)
            }
            if let next, let executor {
                next.runSynchronously(on: executor)
            } else if stopped {
                return
            }
        }
    }
}
