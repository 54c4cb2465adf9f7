import Synchronization

/// Whether a connection needs a reset before its next user, readable without a hop to its
/// thread: the thread sets it after each session from what that session left open.
final class ResetFlag: Sendable {
    let needsReset = Atomic<Bool>(false)
}
