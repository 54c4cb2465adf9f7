import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Tells ThreadSanitizer about the pool's locks.
///
/// On Linux with Swift 6.3 the sanitizer cannot see the futex inside `Synchronization.Mutex`,
/// so every access a mutex guards looks like a race and a `--sanitize=thread` run could check
/// nothing. Locking through ``withAnnotatedLock(_:)`` marks an acquire after locking and a
/// release before unlocking. Without the sanitizer's runtime both hooks are nil: one untaken
/// branch per lock.
enum SanitizerAnnotations {
    typealias Hook = @convention(c) (UnsafeRawPointer?) -> Void

    /// `__tsan_acquire`, when the sanitizer's runtime is loaded.
    static let acquire = hook("__tsan_acquire")

    /// `__tsan_release`, when the sanitizer's runtime is loaded.
    static let release = hook("__tsan_release")

    private static func hook(_ name: String) -> Hook? {
        #if os(Linux)
            // A nil handle searches the program and every library it loaded.
            return dlsym(nil, name).map { unsafeBitCast($0, to: Hook.self) }
        #else
            return nil
        #endif
    }
}

extension Mutex where Value: ~Copyable {
    /// `withLock`, announced to ThreadSanitizer when it runs; open to the whole package, so that
    /// the test kit's fakes are checked too.
    package func withAnnotatedLock<R>(_ body: (inout sending Value) throws -> sending R) rethrows -> sending R {
        try withLock { value in
            let address = withUnsafePointer(to: self) { UnsafeRawPointer($0) }
            SanitizerAnnotations.acquire?(address)
            defer { SanitizerAnnotations.release?(address) }
            return try body(&value)
        }
    }
}
