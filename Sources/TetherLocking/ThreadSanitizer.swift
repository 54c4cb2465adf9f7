#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// ThreadSanitizer's annotation entry points, when the sanitizer's runtime is loaded; without
/// it both are `nil` and cost one untaken branch.
///
/// For happens-before edges the sanitizer cannot see by itself: a futex inside
/// `Synchronization.Mutex` (TetherChannels), or a continuation resumed before its task
/// suspended, which orders the two sides only through the concurrency runtime's own atomics
/// (TetherPool). The side that publishes calls ``release``, the side that takes calls
/// ``acquire``, both with the same address.
///
/// Package-internal, one lookup for every module of ours that annotates.
@usableFromInline
package enum ThreadSanitizer {
    @usableFromInline
    package typealias Hook = @convention(c) (UnsafeRawPointer?) -> Void

    /// `__tsan_acquire`: what happened before the matching release happens before now.
    @usableFromInline
    package static let acquire = lookup("__tsan_acquire")

    /// `__tsan_release`: publishes what happened so far to the next acquire.
    @usableFromInline
    package static let release = lookup("__tsan_release")

    private static func lookup(_ name: String) -> Hook? {
        #if canImport(Glibc) || canImport(Musl)
            // A nil handle is RTLD_DEFAULT: the program and every library loaded.
            return dlsym(nil, name).map { unsafeBitCast($0, to: Hook.self) }
        #else
            // Elsewhere the locks we use are ones the sanitizer already understands.
            return nil
        #endif
    }
}
