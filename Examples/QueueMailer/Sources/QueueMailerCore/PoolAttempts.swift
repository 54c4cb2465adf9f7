import TetherLocking
import TetherPool

/// The last failed connection attempt of each recent generation of a pool, so that a swap
/// that gave up can say why (credentials refused, target out of reach) in `swap_abandoned`.
final class PoolAttempts: ConnectionPoolDelegate {
    /// Generations remembered: a swap asks about its own, the newest or close to it.
    private static let kept = 8
    private let failures = Locked<[Int: String]>([:])

    func connectionAttemptFailed(generation: Int, error: any Error, kind: ConnectionFailureKind, willRetry: Bool) {
        failures.withLock { failures in
            failures[generation] = "\(error)"
            if failures.count > Self.kept, let oldest = failures.keys.min() {
                failures[oldest] = nil
            }
        }
    }

    /// Why the last attempt of `generation` failed; nil when none did.
    func lastFailure(of generation: Int) -> String? {
        failures.withLock { $0[generation] }
    }
}
