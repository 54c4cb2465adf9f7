import TetherODBC
import TetherPool

/// `workers` tasks running `SELECT 1` through one pool for `duration`, each timing every query.
struct SelectOneLoad: Sendable {
    let target: ODBCConnectString
    /// The second target of a swap run; `nil` for a steady run.
    let alternate: ODBCConnectString?
    let workers: Int
    let duration: Duration

    /// Fills the pool, runs the load (and the swaps) and returns what was measured.
    func run() async throws -> LoadResult {
        var configuration = PoolConfiguration()
        configuration.minimumConnections = workers
        configuration.maximumConnections = workers
        configuration.keepAliveThreshold = nil
        let pool = try ConnectionPool(factory: ODBCConnectionFactory(), target: target, configuration: configuration)
        return try await withThrowingTaskGroup(of: LoadResult?.self) { group in
            group.addTask {
                await pool.run()
                return nil
            }
            try await warmUp(pool)
            let result = await measure(pool)
            await pool.shutdown()
            try await group.waitForAll()
            return result
        }
    }

    /// Borrows every connection once at the same time, so the run starts with a full pool,
    /// as the Java peer's does (its minimum idle equals its maximum).
    private func warmUp(_ pool: ConnectionPool<ODBCConnectionFactory>) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask { _ = try await Self.selectOne(pool) }
            }
            try await group.waitForAll()
        }
    }

    private func measure(_ pool: ConnectionPool<ODBCConnectionFactory>) async -> LoadResult {
        let clock = ContinuousClock()
        let start = clock.now
        let end = start + duration
        let samples = await withTaskGroup(of: WorkerSamples?.self) { group in
            if let alternate {
                group.addTask { await swapTenTimes(pool, between: target, and: alternate, from: start) }
            }
            // Workers run on the connection threads, as Docs/odbc.md advises for database loops.
            for _ in 0..<workers {
                group.addTask(executorPreference: ConnectionThreadExecutor.shared) {
                    await Self.loop(pool, until: end, clock: clock)
                }
            }
            return await group.reduce(into: [WorkerSamples]()) { all, next in next.map { all.append($0) } }
        }
        return LoadResult(samples, elapsed: clock.now - start, generation: pool.gauges.generation)
    }

    /// Swaps to `alternate` and back, ten swaps in all, spread evenly over the run.
    private func swapTenTimes(
        _ pool: ConnectionPool<ODBCConnectionFactory>, between target: ODBCConnectString,
        and alternate: ODBCConnectString, from start: ContinuousClock.Instant
    ) async -> WorkerSamples? {
        let interval = duration / 11
        for swap in 1...10 {
            try? await Task.sleep(until: start + interval * swap, clock: .continuous)
            _ = await pool.swap(to: swap % 2 == 1 ? alternate : target)
        }
        return nil
    }

    private static func loop(
        _ pool: ConnectionPool<ODBCConnectionFactory>, until end: ContinuousClock.Instant, clock: ContinuousClock
    ) async -> WorkerSamples {
        var samples = WorkerSamples()
        samples.latencies.reserveCapacity(1 << 20)
        while clock.now < end {
            let began = clock.now
            do {
                _ = try await selectOne(pool)
            } catch {
                samples.errors += 1
            }
            samples.latencies.append(clock.now - began)
        }
        return samples
    }

    private static func selectOne(_ pool: ConnectionPool<ODBCConnectionFactory>) async throws -> Int {
        let value = try await pool.withConnection { connection in
            try await connection.withSession { try $0.query("SELECT 1")[0].decode(Int.self, at: 0) }
        }
        precondition(value == 1, "SELECT 1 returned \(value)")
        return value
    }
}
