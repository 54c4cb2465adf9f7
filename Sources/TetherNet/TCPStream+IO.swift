import CTetherSystem
import Glibc

/// The outcome of one non-blocking attempt: done, or wait for readiness and try the same call again.
enum Step<Value> {
    case done(Value)
    case wait(Interest)

    func map<Other>(_ transform: (Value) -> Other) -> Step<Other> {
        switch self {
        case .done(let value): .done(transform(value))
        case .wait(let interest): .wait(interest)
        }
    }
}

extension TCPStream {
    /// Repeats `attempt` under the lock until it is done, waiting in the loop whenever it would block.
    ///
    /// Cancellation, a passed deadline and any error close the stream before this returns.
    func perform<Value: Sendable>(
        _ phase: NetworkError.Phase,
        deadline: ContinuousClock.Instant,
        _ attempt: (inout Core) throws(NetworkError) -> Step<Value>
    ) async throws -> Value {
        while true {
            if Task.isCancelled {
                close()
                throw CancellationError()
            }
            let step: Step<Value>
            do {
                step = try core.withLock { core throws(NetworkError) -> Step<Value> in
                    guard core.descriptor >= 0 else { throw NetworkError.closed(phase) }
                    return try attempt(&core)
                }
            } catch {
                close()
                throw error
            }
            switch step {
            case .done(let value):
                return value
            case .wait(let interest):
                try await waitUntilReady(interest, deadline: deadline, phase: phase)
            }
        }
    }

    /// Suspends in the event loop; a deadline or cancellation closes the stream.
    func waitUntilReady(_ interest: Interest, deadline: ContinuousClock.Instant, phase: NetworkError.Phase)
        async throws
    {
        switch await loop.wait(for: interest, on: token, deadline: deadline) {
        case .ready:
            return
        case .timedOut:
            close()
            throw NetworkError.timedOut(phase)
        case .cancelled:
            close()
            throw CancellationError()
        case .closed:
            if Task.isCancelled { throw CancellationError() }
            throw NetworkError.closed(phase)
        }
    }

    static func send(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(NetworkError) -> Step<Int> {
        while true {
            let sent = Glibc.send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if sent >= 0 { return .done(sent) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wait(.writable)
            case let number: throw NetworkError.system(number, .write, call: "send")
            }
        }
    }

    static func receive(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(NetworkError)
        -> Step<Int>
    {
        while true {
            let received = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if received >= 0 { return .done(received) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wait(.readable)
            case let number: throw NetworkError.system(number, .read, call: "recv")
            }
        }
    }
}
