import Dispatch
import Foundation
import Synchronization
import Testing
import TetherLocking

@testable import TetherODBC

/// The connection thread and cancellers on other threads at full speed: `SQLCancel` reaches a
/// statement only while its call runs, and a call whose session is cancelled while it runs gets it.
@Suite("CancelSlot under concurrent cancels")
struct CancelSlotRaceTests {
    /// What the "driver" saw: the statement whose call runs now, and each cancel's verdict.
    final class Record: Sendable {
        let running = Atomic<UInt>(0)
        let onTarget = Atomic<Int>(0)
        let offTarget = Atomic<Int>(0)
        /// The statement the last cancel that met its call was sent to.
        let lastCancelled = Atomic<UInt>(0)
        /// Calls that saw their session cancelled and never got `SQLCancel`.
        let lostCancels = Atomic<Int>(0)
        let current = Locked<SessionToken?>(nil)
        let finished = Atomic<Bool>(false)
        let cancellersUp = Atomic<Int>(0)
    }

    @Test("sessions against two cancelling threads: no cancel reaches a call that is not running, none is lost")
    func cancelsReachOnlyRunningCalls() async {
        let record = Record()
        let slot = CancelSlot(
            cancelStatement: { bits in
                let target = record.running.load(ordering: .sequentiallyConsistent) == bits
                if target {
                    record.lastCancelled.store(bits, ordering: .sequentiallyConsistent)
                    record.onTarget.add(1, ordering: .relaxed)
                } else {
                    record.offTarget.add(1, ordering: .relaxed)
                }
            },
            // Repeats are covered by CancelSlotTests; here they would only slow the race down.
            schedule: { _, _ in })
        // Threads of their own: three loops that never suspend would starve on a cooperative
        // pool as wide as the machine's two cores. The cancellers yield now and then, so that
        // two spinning threads do not stall every other test on the machine meanwhile.
        await runOnThreads(3) { index in
            guard index < 2 else {
                while record.cancellersUp.load(ordering: .acquiring) < 2 {
                    sched_yield()
                }
                Self.runSessions(on: slot, record)
                return
            }
            record.cancellersUp.add(1, ordering: .releasing)
            var round = 0
            while !record.finished.load(ordering: .relaxed) {
                if index == 0, let session = record.current.withLock({ $0 }) {
                    slot.cancel(session)
                } else {
                    slot.cancelRunning()
                }
                round += 1
                if round % 64 == 0 {
                    sched_yield()
                }
            }
        }
        #expect(record.offTarget.load(ordering: .relaxed) == 0)
        #expect(record.lostCancels.load(ordering: .relaxed) == 0)
        #expect(record.onTarget.load(ordering: .relaxed) >= 100, "too few cancels met a running call to tell")
    }

    /// The connection thread's side: sessions of three calls, each on its own statement, until
    /// 100 cancels met a running call (or a million sessions went by).
    private static func runSessions(on slot: CancelSlot, _ record: Record) {
        defer { record.finished.store(true, ordering: .relaxed) }
        for number in 0..<1_000_000 where record.onTarget.load(ordering: .relaxed) < 100 {
            let session = SessionToken()
            record.current.withLock { $0 = session }
            defer { slot.end() }
            guard slot.begin(session) else {
                continue
            }
            for call in 1...3 {
                let bits = UInt(0x10_000 + (number % 64) * 64 + call * 16)
                // Live from before the call is published until after the slot let it go: a
                // cancel that arrives outside that span would reach a freed or reused handle.
                record.running.store(bits, ordering: .sequentiallyConsistent)
                _ = slot.executing(session, UnsafeMutableRawPointer(bitPattern: bits)!) {
                    // A session cancelled while its call runs: the canceller must find the call.
                    let deadline = ContinuousClock.now + .seconds(1)
                    while session.wasCancelled && record.lastCancelled.load(ordering: .sequentiallyConsistent) != bits {
                        if ContinuousClock.now > deadline {
                            record.lostCancels.add(1, ordering: .relaxed)
                            return
                        }
                    }
                }
                record.running.store(0, ordering: .sequentiallyConsistent)
            }
        }
    }
}
