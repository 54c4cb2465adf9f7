import Foundation
import Synchronization

/// Runs `body` on `count` threads of their own, each given its index, and returns once all
/// have finished. The waiting task suspends: a test that blocked a thread of the cooperative
/// pool (two on this machine) would stall every other test meanwhile.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let box = Finished(left: count, continuation: continuation)
        for index in 0..<count {
            Thread {
                body(index)
                box.done()
            }.start()
        }
    }
}

/// Resumes a continuation once the last of `left` threads is done.
private final class Finished: Sendable {
    private let left: Atomic<Int>
    private let continuation: CheckedContinuation<Void, Never>

    init(left: Int, continuation: CheckedContinuation<Void, Never>) {
        self.left = Atomic(left)
        self.continuation = continuation
    }

    func done() {
        if left.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            continuation.resume()
        }
    }
}
