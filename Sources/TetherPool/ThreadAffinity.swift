import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A mark on a thread that one connection owns, so the pool can lend that connection to code
/// already running on it.
///
/// A connection that does its blocking work on a thread of its own (an ODBC connection) marks
/// the thread when it starts and reports the mark through
/// ``ConnectionFactory/threadAffinity(of:)``. When a caller asks for a connection while running
/// on such a thread (a task that prefers the connection threads' executor), the pool lends it
/// that thread's connection if it is idle: the caller's work then runs where it already is,
/// with no hop to another thread and back.
public struct ThreadAffinity: Hashable, Sendable {
    /// Never 0: 0 means "no mark" in the pool's bookkeeping.
    let key: UInt

    /// The mark of the calling thread, or nil when nobody marked it.
    public static var current: ThreadAffinity? {
        let bits = UInt(bitPattern: pthread_getspecific(affinitySlot.key))
        return bits == 0 ? nil : ThreadAffinity(key: bits)
    }

    /// Marks the calling thread with a new mark, unique in the process, and returns it.
    ///
    /// Call it once, first thing on a thread you own; a thread marked twice keeps the second mark.
    public static func markCurrentThread() -> ThreadAffinity {
        let key = nextAffinityKey.add(1, ordering: .relaxed).newValue
        pthread_setspecific(affinitySlot.key, UnsafeRawPointer(bitPattern: key))
        return ThreadAffinity(key: key)
    }
}

/// The thread-specific slot that holds each thread's mark.
private let affinitySlot = ThreadSlot()
private let nextAffinityKey = Atomic<UInt>(0)

/// A key for thread-specific values, made once per slot for the life of the process.
final class ThreadSlot: Sendable {
    let key: pthread_key_t

    /// `destructor` runs, when the slot holds a value, as a thread exits.
    init(destructor: (@convention(c) (UnsafeMutableRawPointer?) -> Void)? = nil) {
        var key = pthread_key_t()
        let created = pthread_key_create(&key, destructor)
        precondition(created == 0, "pthread_key_create failed with \(created)")
        self.key = key
    }
}
