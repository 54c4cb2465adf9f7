/// Yields the calling task until `condition` holds, at most `yields` times; returns whether it
/// held.
///
/// For a state that other tasks reach without any clock: a caller queued in a pool
/// (`pool.gauges.waiting == 1`), an operation started on a fake connection
/// (`factory.connections.first?.operations == 1`), a connection handed back. Under a
/// ``ManualClock`` nothing of that sleeps, so the tasks involved get there within a few
/// thousand yields; the bound keeps a test that waits for something that never happens from
/// hanging (a bound below 1 checks once, without yielding). Wrap it in your framework's
/// expectation:
///
/// ```swift
/// #expect(await yieldUntil { pool.gauges.waiting == 1 })
/// ```
public func yieldUntil(atMost yields: Int = 200_000, _ condition: () -> Bool) async -> Bool {
    for _ in 0..<max(0, yields) {
        if condition() {
            return true
        }
        await Task.yield()
    }
    return condition()
}
