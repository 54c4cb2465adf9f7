import Testing
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
        thread.stop()
        gate.open()
        let (before, after) = await task.value
        #expect(before)
        #expect(!after)
    }
}
