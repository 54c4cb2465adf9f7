typealias SleeperContinuation = CheckedContinuation<Void, any Error>

/// The manual clock's bookkeeping: the current instant, who sleeps until when, and who
/// waits for sleepers to appear. Plain value; ``ManualClock`` keeps it under a lock and
/// resumes continuations after unlocking.
struct ManualClockState {
    struct Sleeper {
        var id: UInt64
        var deadline: ManualClock.Instant
        var continuation: SleeperContinuation
    }

    struct SleeperWaiter {
        var count: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    /// What to do with a sleeper after unlocking.
    enum SleeperAction {
        case none
        case wake(SleeperContinuation)
        case cancel(SleeperContinuation)
        case wakeWaiters([CheckedContinuation<Void, Never>])

        func run() {
            switch self {
            case .none:
                break
            case .wake(let continuation):
                continuation.resume()
            case .cancel(let continuation):
                continuation.resume(throwing: CancellationError())
            case .wakeWaiters(let waiters):
                for waiter in waiters {
                    waiter.resume()
                }
            }
        }
    }

    var now = ManualClock.Instant(offset: .zero)
    private(set) var sleepers: [Sleeper] = []
    private var sleeperWaiters: [SleeperWaiter] = []
    private var nextID: UInt64 = 0

    mutating func makeSleeperID() -> UInt64 {
        nextID += 1
        return nextID
    }

    mutating func sleepRegistered(
        _ id: UInt64,
        deadline: ManualClock.Instant,
        _ continuation: SleeperContinuation,
        isCancelled: Bool
    ) -> SleeperAction {
        if isCancelled {
            return .cancel(continuation)
        }
        if deadline <= now {
            return .wake(continuation)
        }
        sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
        let ready = sleeperWaiters.filter { $0.count <= sleepers.count }
        sleeperWaiters.removeAll { $0.count <= sleepers.count }
        return ready.isEmpty ? .none : .wakeWaiters(ready.map(\.continuation))
    }

    /// A sleeper's task was cancelled; it may already have been woken, or not registered yet
    /// (then ``sleepRegistered(_:deadline:_:isCancelled:)`` sees the cancellation).
    mutating func sleeperCancelled(_ id: UInt64) -> SleeperAction {
        guard let index = sleepers.firstIndex(where: { $0.id == id }) else {
            return .none
        }
        return .cancel(sleepers.remove(at: index).continuation)
    }

    /// Moves time and returns the sleepers that are due, earliest deadline first.
    mutating func advance(to instant: ManualClock.Instant) -> [SleeperContinuation] {
        precondition(instant >= now, "ManualClock cannot move backwards (from \(now) to \(instant))")
        now = instant
        let due = sleepers.filter { $0.deadline <= instant }.sorted { $0.deadline < $1.deadline }
        sleepers.removeAll { $0.deadline <= instant }
        return due.map(\.continuation)
    }

    mutating func sleeperWaiterRegistered(
        _ count: Int,
        _ continuation: CheckedContinuation<Void, Never>
    ) -> CheckedContinuation<Void, Never>? {
        if sleepers.count >= count {
            return continuation
        }
        sleeperWaiters.append(SleeperWaiter(count: count, continuation: continuation))
        return nil
    }
}
