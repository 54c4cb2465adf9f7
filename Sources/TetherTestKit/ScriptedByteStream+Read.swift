import Synchronization
import TetherNet

extension ScriptedByteStream {
    public func read(maximumCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        let number = nextWaitNumber()
        let timer = Task { [weak self] in
            try await Self.sleep(until: deadline)
            self?.expire(Failure(description: "read deadline passed"), ifWaiting: number)
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let result = state.withLock { state -> Result<[UInt8], any Error>? in
                    if state.closed { return .failure(Failure(description: "read on a closed stream")) }
                    if ContinuousClock.now >= deadline {
                        state.closed = true
                        return .failure(Failure(description: "read deadline passed"))
                    }
                    if !state.inbound.isEmpty {
                        let count = min(maximumCount, state.inbound.count)
                        defer { state.inbound.removeFirst(count) }
                        return .success(Array(state.inbound.prefix(count)))
                    }
                    if state.peerClosed { return .success([]) }
                    state.reader = continuation
                    state.readerMaximum = maximumCount
                    return nil
                }
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            expire(CancellationError())
        }
    }

    public func startTLS(_ configuration: TLSConfiguration, serverName: String?, deadline: ContinuousClock.Instant)
        async throws
    {
        let buffered = state.withLock { !$0.inbound.isEmpty }
        if buffered {
            close()
            throw Failure(description: "bytes were buffered before the TLS handshake")
        }
        guard tlsBehavior == .stall else {
            state.withLock {
                $0.secure = true
                $0.tlsUpgrades += 1
            }
            return
        }
        let number = nextWaitNumber()
        let timer = Task { [weak self] in
            try await Self.sleep(until: deadline)
            self?.expire(Failure(description: "TLS handshake deadline passed"), ifWaiting: number)
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let closed = state.withLock { state in
                    if !state.closed { state.tlsWaiter = continuation }
                    return state.closed
                }
                if closed { continuation.resume(throwing: Failure(description: "stream closed")) }
            }
        } onCancel: {
            expire(CancellationError())
        }
    }

    /// Sleeps until `deadline` has certainly passed: a timer may fire a little early, and a
    /// deadline error must never be seen before its deadline.
    static func sleep(until deadline: ContinuousClock.Instant) async throws {
        while ContinuousClock.now < deadline {
            try await Task.sleep(until: deadline, clock: .continuous)
        }
    }

    /// Ends the pending operation with `error` and closes, as a deadline or cancellation does.
    func nextWaitNumber() -> Int {
        state.withLock { state in
            state.waitNumber += 1
            return state.waitNumber
        }
    }

    typealias PendingWaits = (
        reader: CheckedContinuation<[UInt8], any Error>?, tls: CheckedContinuation<Void, any Error>?
    )

    /// Fails the pending wait and closes the stream. With `number`, only while the wait so
    /// numbered is still pending: a deadline timer that fires just after its read completed
    /// must not close the stream under the next command.
    func expire(_ error: any Error, ifWaiting number: Int? = nil) {
        let pending = state.withLock { state -> PendingWaits? in
            if let number, state.waitNumber != number || (state.reader == nil && state.tlsWaiter == nil) {
                return nil
            }
            state.closed = true
            defer { (state.reader, state.tlsWaiter) = (nil, nil) }
            return (state.reader, state.tlsWaiter)
        }
        guard let (reader, tls) = pending else { return }
        reader?.resume(throwing: error)
        tls?.resume(throwing: error)
        close()
    }
}
