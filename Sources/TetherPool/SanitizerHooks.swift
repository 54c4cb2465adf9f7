#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// ThreadSanitizer's annotations for a lease handed to a waiting caller, when the sanitizer's
/// runtime is loaded; without it both are `nil` and cost one untaken branch.
///
/// A lease is an object made under the pool's lock and handed over through a continuation. A
/// continuation resumed before its task suspended orders the two only through the runtime's
/// own atomics, which the sanitizer cannot see, so it reported the waiter's first reads of the
/// lease as races. The maker publishes the lease (`release`) and the waiter takes it
/// (`acquire`), keyed by the lease's address.
enum SanitizerHooks {
    typealias Hook = @convention(c) (UnsafeRawPointer?) -> Void

    private static let acquireHook = lookup("__tsan_acquire")
    private static let releaseHook = lookup("__tsan_release")

    /// What was written to `object` before its ``published(_:)`` happens before now.
    static func taken(_ object: AnyObject) {
        acquireHook?(UnsafeRawPointer(Unmanaged.passUnretained(object).toOpaque()))
    }

    /// Publishes what was written to `object` so far to the next ``taken(_:)``.
    static func published(_ object: AnyObject) {
        releaseHook?(UnsafeRawPointer(Unmanaged.passUnretained(object).toOpaque()))
    }

    private static func lookup(_ name: String) -> Hook? {
        #if canImport(Glibc) || canImport(Musl)
            // A nil handle is RTLD_DEFAULT: the program and every library loaded.
            return dlsym(nil, name).map { unsafeBitCast($0, to: Hook.self) }
        #else
            return nil
        #endif
    }
}
