import Dispatch
import Testing
import TetherLocking
import TetherPool
import TetherTestKit

@Suite("MarkedThreadExecutor", .timeLimit(.minutes(1)))
struct MarkedThreadExecutorTests {
    @Test("a task runs on the marked thread, and after stop() it finishes on the global executor")
    func taskOutlivesStop() async throws {
        let thread = MarkedThreadExecutor()
        let gate = Gate()
        let task = Task(executorPreference: thread) { () -> (Bool, Bool) in
            let before = ThreadAffinity.current == thread.mark
            await gate.wait()
            return (before, ThreadAffinity.current == thread.mark)
        }
        await eventually("the task waits at the gate") { gate.waiters == 1 }
        // The waiter is counted before its task has finished suspending; a resume in that gap
        // lets it carry on where it is, on the marked thread. A job queued behind it on the one
        // thread runs only once the task has let go of the thread.
        await Task(executorPreference: thread) {}.value
        thread.stop()
        gate.open()
        let (before, after) = await task.value
        #expect(before)
        #expect(!after)
    }
}

extension MarkedThreadExecutorTests {
    @Test("jobs queued before stop() run on the thread, and their tasks finish after it ended")
    func queuedJobsRunBeforeTheThreadEnds() async throws {
        let thread = MarkedThreadExecutor()
        let blocker = DispatchSemaphore(value: 0)
        let blocking = Locked(false)
        // Holds the thread, so that the tasks below find their first job queued behind it.
        let holder = Task(executorPreference: thread) {
            blocking.withLock { $0 = true }
            blocker.wait()
        }
        await eventually("the thread is held") { blocking.withLock { $0 } }
        let tasks = (0..<100).map { _ in
            Task(executorPreference: thread) { () -> Bool in
                let first = ThreadAffinity.current == thread.mark
                await Task.yield()
                return first
            }
        }
        thread.stop()
        thread.stop()
        blocker.signal()
        await holder.value
        // Where a task goes on after the yield is not checked: a continuation may go on running
        // on the thread that was running it, without a new job.
        for task in tasks {
            #expect(await task.value, "a job queued before stop() runs on the marked thread")
        }
    }

    @Test("stop() called by a job on the thread still runs the jobs queued behind it")
    func stopFromTheThreadItself() async throws {
        let thread = MarkedThreadExecutor()
        let blocker = DispatchSemaphore(value: 0)
        let blocking = Locked(false)
        let stopper = Task(executorPreference: thread) {
            blocking.withLock { $0 = true }
            blocker.wait()
            thread.stop()
        }
        await eventually("the thread is held") { blocking.withLock { $0 } }
        let queued = (0..<20).map { _ in
            Task(executorPreference: thread) { ThreadAffinity.current == thread.mark }
        }
        blocker.signal()
        await stopper.value
        for task in queued {
            #expect(await task.value)
        }
    }

    @Test("many tasks that hop on and off the thread all finish when stop() comes in the middle")
    func stopAmidTraffic() async throws {
        for round in 0..<20 {
            let thread = MarkedThreadExecutor()
            let finished = Recorder<Int>()
            let tasks = (0..<50).map { number in
                Task(executorPreference: thread) {
                    for _ in 0..<10 {
                        await Task.yield()
                    }
                    finished.append(number)
                }
            }
            // Stops at a different point of the traffic each round.
            await eventually("round \(round) is under way") { finished.all.count >= round }
            thread.stop()
            for task in tasks {
                await task.value
            }
            #expect(Set(finished.all) == Set(0..<50))
        }
    }
}
