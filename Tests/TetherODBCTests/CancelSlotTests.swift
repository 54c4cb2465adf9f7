import Synchronization
import Testing
import TetherLocking

@testable import TetherODBC

@Suite("CancelSlot")
struct CancelSlotTests {
    /// Records the `SQLCancel` calls and holds the scheduled repeats until the test runs them.
    final class Driver: Sendable {
        private let state = Locked<(cancels: [UInt], delays: [Duration], jobs: [@Sendable () -> Void])>(([], [], []))

        /// A slot whose cancels and repeats this driver records.
        func makeSlot() -> CancelSlot {
            CancelSlot(
                cancelStatement: { bits in self.state.withLock { $0.cancels.append(bits) } },
                schedule: { delay, job in
                    self.state.withLock {
                        $0.delays.append(delay)
                        $0.jobs.append(job)
                    }
                })
        }

        var cancels: [UInt] { state.withLock { $0.cancels } }
        var delays: [Duration] { state.withLock { $0.delays } }

        /// Runs the repeats scheduled so far; returns how many there were.
        @discardableResult
        func runScheduled() -> Int {
            let jobs = state.withLock { state in
                defer { state.jobs = [] }
                return state.jobs
            }
            jobs.forEach { $0() }
            return jobs.count
        }
    }

    private let statement = UnsafeMutableRawPointer(bitPattern: 0x1000)!
    private let other = UnsafeMutableRawPointer(bitPattern: 0x2000)!

    @Test("a cancel during a call repeats SQLCancel at doubling intervals until the call returns")
    func repeatsUntilReturn() {
        let driver = Driver()
        let slot = driver.makeSlot()
        let session = SessionToken()
        #expect(slot.begin(session))
        let result = slot.executing(session, statement) { () -> Int in
            slot.cancel(session)
            for _ in 0..<9 {
                driver.runScheduled()
            }
            return 7
        }
        #expect(result == 7)
        #expect(driver.cancels == Array(repeating: UInt(bitPattern: statement), count: 10))
        let expected: [Duration] = [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000].map { .milliseconds($0) }
        #expect(driver.delays == expected)
        #expect(driver.runScheduled() == 1)
        #expect(driver.cancels.count == 10)
        #expect(driver.runScheduled() == 0)
    }

    @Test("a cancel before the call keeps it from running and sends nothing")
    func cancelBeforeCall() {
        let driver = Driver()
        let slot = driver.makeSlot()
        let session = SessionToken()
        #expect(slot.begin(session))
        slot.cancel(session)
        var ran = false
        let result = slot.executing(session, statement) { () -> Int in
            ran = true
            return 1
        }
        #expect(result == nil)
        #expect(!ran)
        #expect(driver.cancels.isEmpty)
        #expect(driver.runScheduled() == 0)
    }

    @Test("a repeat that comes after its call returned never reaches the next session's statement")
    func repeatSparesNextSession() {
        let driver = Driver()
        let slot = driver.makeSlot()
        let first = SessionToken()
        #expect(slot.begin(first))
        _ = slot.executing(first, statement) { slot.cancel(first) }
        slot.end()
        let second = SessionToken()
        #expect(slot.begin(second))
        _ = slot.executing(second, other) { driver.runScheduled() }
        #expect(driver.cancels == [UInt(bitPattern: statement)])
        #expect(!second.wasCancelled)
    }

    @Test("a repeat that comes after its call returned spares the session's next call")
    func repeatSparesNextCall() {
        let driver = Driver()
        let slot = driver.makeSlot()
        let session = SessionToken()
        #expect(slot.begin(session))
        _ = slot.executing(session, statement) { slot.cancel(session) }
        // A later call on the same thread that runs whatever the flag says (work outside a session).
        _ = slot.executing(nil, other) { driver.runScheduled() }
        #expect(driver.cancels == [UInt(bitPattern: statement)])
    }

    @Test("cancelling a session that runs no statement marks it and sends nothing")
    func cancelBetweenStatements() {
        let driver = Driver()
        let slot = driver.makeSlot()
        let session = SessionToken()
        #expect(slot.begin(session))
        slot.cancelRunning()
        #expect(session.wasCancelled)
        #expect(driver.cancels.isEmpty)
        #expect(driver.runScheduled() == 0)
    }
}
