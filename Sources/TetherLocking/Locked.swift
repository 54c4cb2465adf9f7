#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A value behind a lock: a POSIX mutex, which glibc builds on a plain futex; on glibc the
/// adaptive kind, which spins briefly before its waiter sleeps.
///
/// Why not `Synchronization.Mutex`: on Linux, with Swift 6.3, it is a priority-inheritance
/// futex whose waiters go through the kernel's PI path and spin long in user space. Where
/// more threads than cores take the same lock (eight ODBC connection threads sharing one
/// pool on two cores), a waiter spun through the time slice of the holder it waited for: a
/// fifth of all CPU time in one run. A plain mutex made its waiters sleep at once, which
/// cost 4 µs of kernel time per borrow at eight workers in futex calls; the adaptive one
/// spins a few rounds first (the holder usually runs on the other core) and the pool gave
/// 50,000-56,000 `SELECT 1` per second instead of 40,000-44,000. Uncontended it also costs
/// less than `Mutex` here, since the call is not generic (the pool's borrow and return:
/// 990 ns with `Mutex`, 850-920 ns with this). ThreadSanitizer understands POSIX mutexes,
/// so it sees every lock and unlock.
///
/// Package-internal: every module of ours that locks uses it; users of the package do not see it.
package struct Locked<Value: ~Copyable>: ~Copyable, @unchecked Sendable {
    // Both live on the heap: a mutex must not move, and the struct may.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let value: UnsafeMutablePointer<Value>

    /// Makes a lock around `initialValue`.
    package init(_ initialValue: consuming sending Value) {
        mutex = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        #if canImport(Glibc)
            // Spins a few rounds before it sleeps: the holder usually runs on the other core.
            pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        #endif
        let made = pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        precondition(made == 0, "pthread_mutex_init failed with \(made)")
        value = .allocate(capacity: 1)
        value.initialize(to: initialValue)
    }

    deinit {
        value.deinitialize(count: 1)
        value.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value while holding the lock, as `Mutex.withLock` does.
    package borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}
