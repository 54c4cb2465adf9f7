#if os(Linux)
    #if canImport(Glibc)
        import Glibc
    #elseif canImport(Musl)
        import Musl
    #endif
#endif

/// ThreadSanitizer's annotation entry points, when the sanitizer's runtime is loaded.
///
/// On Linux, with Swift 6.3, ThreadSanitizer cannot see the futex inside
/// `Synchronization.Mutex`, so it reports every access the mutex guards as a race and
/// `swift test --sanitize=thread` could not check the channel at all. The channel therefore
/// tells the sanitizer about the lock itself: acquire after locking, release before
/// unlocking. Without the sanitizer the hooks are `nil` and cost one untaken branch. A
/// pthread mutex would be visible to the sanitizer without hooks, but halved throughput
/// under contention here.
@usableFromInline
enum ThreadSanitizerHooks {
    @usableFromInline
    typealias Hook = @convention(c) (UnsafeRawPointer?) -> Void

    /// `__tsan_acquire`: what happened before the matching release happens before now.
    @usableFromInline
    static let acquire = lookup("__tsan_acquire")

    /// `__tsan_release`: publishes what happened so far to the next acquire.
    @usableFromInline
    static let release = lookup("__tsan_release")

    private static func lookup(_ name: String) -> Hook? {
        #if os(Linux)
            // A nil handle is RTLD_DEFAULT on Linux: search the program and its libraries.
            guard let symbol = dlsym(nil, name) else {
                return nil
            }
            return unsafeBitCast(symbol, to: Hook.self)
        #else
            // Elsewhere Mutex is built on locks the sanitizer already understands.
            return nil
        #endif
    }
}
