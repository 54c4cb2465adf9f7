import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A `Mutex` that ThreadSanitizer can see.
///
/// On Linux, with Swift 6.3, ThreadSanitizer cannot see the futex inside `Synchronization.Mutex`,
/// so it reports every access the mutex guards as a race and hides the real ones among them.
/// `Locked` tells the sanitizer about the lock itself: acquire after locking, release before
/// unlocking, keyed by the address of the mutex. Without the sanitizer the hooks are `nil` and
/// cost one untaken branch each.
///
/// Package-internal: every module of ours that locks uses it; users of the package do not see it.
package struct Locked<Value: ~Copyable>: ~Copyable, Sendable {
    private let mutex: Mutex<Value>

    /// Makes a lock around `initialValue`.
    package init(_ initialValue: consuming sending Value) {
        mutex = Mutex(initialValue)
    }

    /// Runs `body` with the value while holding the lock, as `Mutex.withLock` does.
    package borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        // The key is taken before locking: touching the value first would itself look like a race.
        let key = withUnsafePointer(to: mutex) { UnsafeRawPointer($0) }
        return try mutex.withLock { (value: inout sending Value) throws(E) -> sending Result in
            ThreadSanitizerHooks.acquire?(key)
            defer { ThreadSanitizerHooks.release?(key) }
            return try body(&value)
        }
    }
}

/// ThreadSanitizer's `__tsan_acquire` and `__tsan_release`, when its runtime is loaded.
private enum ThreadSanitizerHooks {
    typealias Hook = @convention(c) (UnsafeRawPointer?) -> Void

    /// What happened before the matching release happens before now.
    static let acquire = lookup("__tsan_acquire")

    /// Publishes what happened so far to the next acquire.
    static let release = lookup("__tsan_release")

    private static func lookup(_ name: String) -> Hook? {
        #if os(Linux)
            // A nil handle is RTLD_DEFAULT on Linux: search the program and its libraries.
            return dlsym(nil, name).map { unsafeBitCast($0, to: Hook.self) }
        #else
            // Elsewhere Mutex is built on locks the sanitizer already understands.
            return nil
        #endif
    }
}
