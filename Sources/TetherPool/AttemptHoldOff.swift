import TetherRetry

/// How long the pool holds off connection attempts for callers after an attempt failed and
/// left the current generation without an open connection.
///
/// Without it every caller that found no connection started an attempt of its own: callers
/// retrying in a loop sent a server that was down, or that refused the password, thousands of
/// logins a second (and a database that locks an account after failed logins locked it for
/// everyone). While the hold lasts, callers fail at once with the last attempt's error; the
/// first caller after it starts one attempt. The pauses are the pool's creation policy's
/// delays, growing with every failed attempt in a row; a connection made ends the run.
struct AttemptHoldOff {
    private var backoff: Backoff
    /// When callers may start an attempt again; nil while no attempt failed since the last success.
    private(set) var until: Duration?
    /// Whether a reconnect cut a hold short since the last connection was made.
    private var lifted = false

    init(policy: ReconnectPolicy) {
        backoff = Backoff(policy: policy)
    }

    /// Whether callers must not start an attempt at `now`.
    func holds(at now: Duration) -> Bool {
        until.map { now < $0 } ?? false
    }

    /// An attempt failed at `now` and no connection is open: hold off for the next delay.
    mutating func attemptFailed(now: Duration, using random: inout some RandomNumberGenerator) {
        until = now + backoff.next(using: &random)
    }

    /// Whether an attempt may start at `now` for a reconnect: always outside a hold; within one,
    /// once per run of failures (the hold is cut short), so that a caller that reconnects after
    /// every failure gets no more logins than the hold allows.
    mutating func lift(at now: Duration) -> Bool {
        guard holds(at: now) else {
            return true
        }
        guard !lifted else {
            return false
        }
        lifted = true
        until = nil
        return true
    }

    /// A connection was made, or a new target took over: the next failure starts a new run.
    mutating func reset() {
        if until != nil || lifted {
            self = AttemptHoldOff(policy: backoff.policy)
        }
    }
}
