extension TCPStream {
    /// How long one connection attempt runs alone before the next address is tried beside it;
    /// RFC 8305 (Happy Eyeballs) recommends 250 ms.
    static let connectionAttemptDelay: Duration = .milliseconds(250)

    /// What one task of a connection race reports.
    private enum RaceEvent: Sendable {
        case connected(TCPStream)
        case failed(any Error)
        /// The stagger after the attempt at this index ran out.
        case staggerElapsed(after: Int)
    }

    /// Connects to the first of `addresses` that answers.
    ///
    /// Attempts start one `stagger` apart, or at once when the one before failed, alternating
    /// address families (RFC 8305), so an address that swallows SYNs costs `stagger`, not the
    /// whole deadline. The first connected stream wins; every other attempt is cancelled and
    /// any stream it still opened is closed. Without a winner the last failure is thrown:
    /// `.timedOut` once `deadline` passed, `CancellationError` when the task was cancelled.
    static func connect(
        toFirstOf addresses: [SocketAddress], host: String, deadline: ContinuousClock.Instant,
        stagger: Duration = connectionAttemptDelay
    ) async throws -> TCPStream {
        let ordered = interleavingFamilies(addresses)
        guard ordered.count > 1 else {
            guard let only = ordered.first else {
                throw NetworkError(.resolutionFailed, .resolve, detail: "\(host) has no address")
            }
            return try await connect(to: only, host: host, deadline: deadline)
        }
        let outcome: Result<TCPStream, any Error> = await withTaskGroup(of: RaceEvent.self) { group in
            defer { group.cancelAll() }
            var launched = 0
            var running = 0
            var lastFailure: any Error = NetworkError(.resolutionFailed, .resolve, detail: host)
            func launchNext() {
                guard launched < ordered.count, !Task.isCancelled else { return }
                let index = launched
                group.addTask {
                    do {
                        return .connected(try await connect(to: ordered[index], host: host, deadline: deadline))
                    } catch {
                        return .failed(error)
                    }
                }
                if index + 1 < ordered.count {
                    group.addTask {
                        try? await Task.sleep(until: min(.now + stagger, deadline))
                        return .staggerElapsed(after: index)
                    }
                }
                launched += 1
                running += 1
            }
            launchNext()
            while running > 0, let event = await group.next() {
                switch event {
                case .connected(let stream):
                    group.cancelAll()
                    while let late = await group.next() {
                        if case .connected(let extra) = late { extra.close() }
                    }
                    return .success(stream)
                case .failed(let error):
                    running -= 1
                    lastFailure = error
                    launchNext()
                case .staggerElapsed(let index):
                    // A stagger whose attempt already gave way to a later one is stale.
                    if index == launched - 1 { launchNext() }
                }
            }
            return .failure(lastFailure)
        }
        return try outcome.get()
    }

    /// `addresses` reordered to alternate families, starting with the family of the first,
    /// keeping the resolver's order within each family.
    static func interleavingFamilies(_ addresses: [SocketAddress]) -> [SocketAddress] {
        guard let first = addresses.first else { return [] }
        let preferred = addresses.filter { $0.family == first.family }
        let others = addresses.filter { $0.family != first.family }
        var ordered: [SocketAddress] = []
        ordered.reserveCapacity(addresses.count)
        for index in 0..<max(preferred.count, others.count) {
            if index < preferred.count { ordered.append(preferred[index]) }
            if index < others.count { ordered.append(others[index]) }
        }
        return ordered
    }
}
