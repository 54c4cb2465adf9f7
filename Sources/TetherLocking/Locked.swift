#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A value behind a lock: a POSIX mutex, which glibc builds on a plain futex.
///
/// Why not `Synchronization.Mutex`: on Linux, with Swift 6.3, it is a priority-inheritance
/// futex that spins in user space when contended. Where more threads than cores take the
/// same lock (eight ODBC connection threads sharing one pool on two cores), a waiter spun
/// through the time slice of the holder it waited for: a fifth of all CPU time in one run.
/// A waiter on this mutex sleeps at once instead. Uncontended it also costs less here, since
/// the call is not generic (the pool's borrow and return: 990 ns with Mutex, 850-920 ns with
/// this). ThreadSanitizer understands POSIX mutexes, so it sees every lock and unlock.
///
/// Package-internal: every module of ours that locks uses it; users of the package do not see it.
package struct Locked<Value: ~Copyable>: ~Copyable, @unchecked Sendable {
    // Both live on the heap: a mutex must not move, and the struct may.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let value: UnsafeMutablePointer<Value>

    /// Makes a lock around `initialValue`.
    package init(_ initialValue: consuming sending Value) {
        mutex = .allocate(capacity: 1)
        let made = pthread_mutex_init(mutex, nil)
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
