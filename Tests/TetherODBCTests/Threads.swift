import Foundation
import Synchronization
import TetherODBC

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

extension ODBCConnection {
    /// Runs sessions until one runs in place: inside the calling task, which must prefer
    /// ``ConnectionThreadExecutor``. The calling task is then on this connection's thread, so its
    /// next session runs in place too. A session that ends before its caller has suspended leaves
    /// the caller where it was, so one queued on the thread lasts a few milliseconds, for the
    /// caller to suspend first (several tests in parallel can delay it that long).
    func settleOnThread() async throws {
        for _ in 0..<100 {
            let ranInPlace = try await withSession { _ in
                let inTask = withUnsafeCurrentTask { $0 != nil }
                if !inTask {
                    usleep(5_000)
                }
                return inTask
            }
            if ranInPlace {
                return
            }
        }
        throw NeverSettled()
    }
}

/// A task that ran 100 sessions without coming to run on the connection's thread.
struct NeverSettled: Error {}
