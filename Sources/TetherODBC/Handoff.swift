import Synchronization
import TetherLocking

/// A continuation that is resumed exactly once, by whichever comes first: the connection
/// thread with the result, or the cancelled caller giving up.
///
/// The thread learns from ``resume(with:)`` whether anyone still waits, so work whose caller
/// left (a login that completes after its task was cancelled) is undone on the thread.
final class Handoff<T: Sendable>: Sendable {
    private enum State {
        case initial
        case waiting(CheckedContinuation<T, any Error>)
        case abandoned(any Error)
        case finished
    }

    private let state = Locked(State.initial)

    /// Suspends until resumed or abandoned; `start` runs once the continuation is in place.
    func wait(_ start: (Handoff<T>) -> Void) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let early: (any Error)? = state.withLock { state in
                if case .abandoned(let error) = state {
                    state = .finished
                    return error
                }
                state = .waiting(continuation)
                return nil
            }
            if let early {
                continuation.resume(throwing: early)
            }
            start(self)
        }
    }

    /// Delivers `result`; `false` when the waiter already left and nobody will see it.
    func resume(with result: Result<T, any Error>) -> Bool {
        let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard case .waiting(let continuation) = state else {
                return nil
            }
            state = .finished
            return continuation
        }
        continuation?.resume(with: result)
        return continuation != nil
    }

    /// Ends the wait at once with `error`, before or after ``wait(_:)`` began.
    ///
    /// - Returns: `false` when the result was delivered first: nothing was abandoned.
    @discardableResult
    func abandon(throwing error: any Error) -> Bool {
        let (abandoned, continuation) = state.withLock { state -> (Bool, CheckedContinuation<T, any Error>?) in
            switch state {
            case .initial:
                state = .abandoned(error)
                return (true, nil)
            case .waiting(let continuation):
                state = .finished
                return (true, continuation)
            case .abandoned, .finished:
                return (false, nil)
            }
        }
        continuation?.resume(throwing: error)
        return abandoned
    }
}
