import CTetherSystem

/// Runs `body`, synchronous code in a task, with `cancelSlot.cancel(token)` called at once if
/// the task is or gets cancelled before `body` returns (from the cancelling thread, as with
/// `withTaskCancellationHandler`).
///
/// A session run in place is synchronous, yet `withTaskCancellationHandler` wraps it in async
/// calls: three executor switches per session, each taking the task's status lock when the
/// task has an executor preference, as database workers do. The handler is added and removed
/// here with the runtime's own two calls instead (see `ctether_add_cancellation`); `body` is
/// not async because the record must be removed before anything else allocates on the task.
func withSessionCancellation<R>(_ cancelSlot: CancelSlot, _ token: SessionToken, _ body: () throws -> R) rethrows -> R {
    // Unretained: both are this call's arguments, alive until it returns, and the record is
    // removed before that.
    var cancellation = ctether_cancellation(
        callback: { slot, token in
            let token = Unmanaged<SessionToken>.fromOpaque(token!).takeUnretainedValue()
            Unmanaged<CancelSlot>.fromOpaque(slot!).takeUnretainedValue().cancel(token)
        },
        first: UnsafeRawPointer(Unmanaged.passUnretained(cancelSlot).toOpaque()),
        second: UnsafeRawPointer(Unmanaged.passUnretained(token).toOpaque()))
    // The runtime keeps the pointer until the record is removed: a pointer from `&cancellation`
    // passed to the call would be valid for that call only.
    return try withUnsafeMutablePointer(to: &cancellation) { cancellation in
        let record = ctether_add_cancellation(cancellation)
        defer { ctether_remove_cancellation(record) }
        return try body()
    }
}
