import Foundation
import Synchronization
import Testing

@testable import TetherODBC

/// Logins take turns (psqlODBC's `setlocale()` is not thread-safe), but a stuck one holds the
/// others up for ``LoginGate/longestWait`` at most.
@Suite("LoginGate", .timeLimit(.minutes(1)))
struct LoginGateTests {
    @Test("logins on many threads never run at the same time")
    func loginsTakeTurns() async {
        let gate = LoginGate()
        let running = Atomic<Int>(0)
        let overlaps = Atomic<Int>(0)
        await runOnThreads(8) { _ in
            for _ in 0..<50 {
                gate.withTurn {
                    if running.add(1, ordering: .relaxed).newValue > 1 {
                        overlaps.add(1, ordering: .relaxed)
                    }
                    usleep(100)
                    running.subtract(1, ordering: .relaxed)
                }
            }
        }
        #expect(overlaps.load(ordering: .relaxed) == 0)
    }

    @Test("a login stuck at the gate's holder goes ahead after the longest wait")
    func stuckLoginDoesNotHoldOthersForLong() async {
        let gate = LoginGate()
        let holderInside = Atomic<Bool>(false)
        let waited = Atomic<Int>(0)
        await runOnThreads(2) { index in
            if index == 0 {
                gate.withTurn {
                    holderInside.store(true, ordering: .releasing)
                    usleep(3_000_000)
                }
            } else {
                while !holderInside.load(ordering: .acquiring) {
                    usleep(1_000)
                }
                let started = ContinuousClock.now
                gate.withTurn(longestWait: .milliseconds(200)) {}
                let elapsed = ContinuousClock.now - started
                waited.store(Int(elapsed / .milliseconds(1)), ordering: .relaxed)
            }
        }
        let milliseconds = waited.load(ordering: .relaxed)
        #expect(milliseconds >= 150 && milliseconds < 2_000, "waited \(milliseconds) ms")
    }
}
