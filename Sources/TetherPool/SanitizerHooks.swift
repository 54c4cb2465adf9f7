import TetherLocking

/// ThreadSanitizer's annotations for a lease handed to a waiting caller; without the
/// sanitizer they cost one untaken branch each.
///
/// A lease is an object made under the pool's lock and handed over through a continuation. A
/// continuation resumed before its task suspended orders the two only through the runtime's
/// own atomics, which the sanitizer cannot see, so it reported the waiter's first reads of the
/// lease as races. The maker publishes the lease (`release`) and the waiter takes it
/// (`acquire`), keyed by the lease's address.
enum SanitizerHooks {
    /// What was written to `object` before its ``published(_:)`` happens before now.
    static func taken(_ object: AnyObject) {
        ThreadSanitizer.acquire?(UnsafeRawPointer(Unmanaged.passUnretained(object).toOpaque()))
    }

    /// Publishes what was written to `object` so far to the next ``taken(_:)``.
    static func published(_ object: AnyObject) {
        ThreadSanitizer.release?(UnsafeRawPointer(Unmanaged.passUnretained(object).toOpaque()))
    }
}
