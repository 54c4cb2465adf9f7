import Glibc

/// Lets one ODBC login run at a time in the process, waiting at most ``longestWait`` for a turn.
///
/// psqlODBC changes the C locale with `setlocale()` while it logs in, and glibc's `setlocale()`
/// is not thread-safe: two logins at the same moment can read locale names the other has just
/// freed. Logins take turns so that this does not happen. A login that hangs (a server that
/// accepts and never answers, until the login timeout) must not hold up every other connection
/// of the process, so a login that has waited ``longestWait`` goes ahead anyway: the race is
/// then possible again, but only beside a login that is stuck waiting for its server.
final class LoginGate: @unchecked Sendable {
    /// The gate every connection of the process goes through.
    static let shared = LoginGate()

    /// A loopback login takes a few milliseconds, one to a distant server a few round trips.
    static let longestWait = Duration.seconds(1)

    // The mutex and condition live on the heap: neither may move. Guarded by `mutex`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let turnEnded: UnsafeMutablePointer<pthread_cond_t>
    private var inProgress = 0

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        turnEnded = .allocate(capacity: 1)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(turnEnded, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(turnEnded)
        pthread_mutex_destroy(mutex)
        turnEnded.deallocate()
        mutex.deallocate()
    }

    /// Runs `login` once no other login runs, or once `longestWait` has passed; blocks the
    /// calling thread (a connection's own thread) meanwhile.
    func withTurn<R, E: Error>(longestWait: Duration = LoginGate.longestWait, _ login: () throws(E) -> R) throws(E) -> R
    {
        pthread_mutex_lock(mutex)
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let (seconds, attoseconds) = longestWait.components
        let nanoseconds = Int(deadline.tv_nsec) + Int(attoseconds / 1_000_000_000)
        deadline.tv_sec += Int(seconds) + nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        while inProgress > 0 {
            if pthread_cond_timedwait(turnEnded, mutex, &deadline) == ETIMEDOUT {
                break
            }
        }
        inProgress += 1
        pthread_mutex_unlock(mutex)
        defer {
            pthread_mutex_lock(mutex)
            inProgress -= 1
            pthread_cond_signal(turnEnded)
            pthread_mutex_unlock(mutex)
        }
        return try login()
    }
}
