import Synchronization
import TetherLocking

/// The pool's background jobs, handed from any task to the one loop in ``ConnectionPool/run()``.
///
/// Unlike an `AsyncStream`, waiting here ignores task cancellation, so jobs queued while the
/// pool shuts down after ``ConnectionPool/run()`` was cancelled are still performed.
final class JobQueue<Job: Sendable>: Sendable {
    private struct State {
        var jobs: [Job] = []
        var head = 0
        var consumer: CheckedContinuation<Job?, Never>?
        var finished = false
    }

    private let state = Locked(State())

    /// Queues `job`; `false` once the queue is finished.
    func push(_ job: Job) -> Bool {
        let (accepted, consumer) = state.withLock { state -> (Bool, CheckedContinuation<Job?, Never>?) in
            if state.finished {
                return (false, nil)
            }
            if let consumer = state.consumer {
                state.consumer = nil
                return (true, consumer)
            }
            state.jobs.append(job)
            return (true, nil)
        }
        consumer?.resume(returning: job)
        return accepted
    }

    /// The next job, or nil once the queue is finished and empty. One consumer at a time.
    func next() async -> Job? {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Job?? in
                if state.head < state.jobs.count {
                    let job = state.jobs[state.head]
                    state.head += 1
                    if state.head == state.jobs.count {
                        state.jobs.removeAll(keepingCapacity: state.jobs.count < 64)
                        state.head = 0
                    }
                    return .some(job)
                }
                if state.finished {
                    return .some(nil)
                }
                state.consumer = continuation
                return nil
            }
            if let ready {
                continuation.resume(returning: ready)
            }
        }
    }

    /// Refuses further jobs; ``next()`` returns what is queued, then nil.
    func finish() {
        let consumer = state.withLock { state in
            state.finished = true
            defer { state.consumer = nil }
            return state.consumer
        }
        consumer?.resume(returning: nil)
    }
}
