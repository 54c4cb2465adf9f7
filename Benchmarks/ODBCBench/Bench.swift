import TetherODBC
import TetherPool

enum Bench {
    struct Options: Sendable {
        var connectString = ODBCConnectString()
        var workers = 1
        var seconds = 3.0
        /// Seconds each worker runs its loop before it starts counting.
        var warmup = 0.0
        var perSession = 1
        var direct = false
        /// Run the worker tasks with ``ConnectionThreadExecutor`` as their executor preference.
        var onConnectionThreads = true
    }

    /// Runs the workers side by side; returns their summed queries per second.
    static func run(_ options: Options) async throws -> Double {
        if options.direct {
            return try await workers(options) { _ in
                let connection = try await ODBCConnection.connect(options.connectString)
                return (connection, { await connection.close() })
            } query: { connection in
                try await session(on: connection, options.perSession)
            }
        }
        var configuration = PoolConfiguration()
        configuration.minimumConnections = options.workers
        configuration.maximumConnections = options.workers
        configuration.keepAliveThreshold = nil
        let pool = try ConnectionPool(
            factory: ODBCConnectionFactory(), target: options.connectString, configuration: configuration)
        return try await withThrowingTaskGroup(of: Double?.self) { group in
            group.addTask {
                await pool.run()
                return nil
            }
            // Connecting is not timed, as in the C peer: the loops start once every connection is up.
            while pool.gauges.idle < options.workers {
                try await Task.sleep(for: .milliseconds(1))
            }
            let rate = try await workers(options) { _ in
                (pool, {})
            } query: { pool in
                try await pool.withConnection { try await session(on: $0, options.perSession) }
            }
            await pool.shutdown()
            try await group.waitForAll()
            return rate
        }
    }

    /// One session of `count` `SELECT 1` queries. Like every async helper on the database
    /// path, it runs on its caller's executor (`nonisolated(nonsending)`): the worker's
    /// connection thread, with no executor switch to check on entry and exit.
    nonisolated(nonsending) private static func session(on connection: ODBCConnection, _ count: Int) async throws -> Int
    {
        let total = try await connection.withSession { session in
            var total = 0
            for _ in 0..<count {
                total += try session.queryFirst("SELECT 1")?.decode(Int.self, at: 0) ?? 0
            }
            return total
        }
        precondition(total == count, "SELECT 1 returned \(total) over \(count) queries")
        return count
    }

    /// Runs `options.workers` loops of `query` for `options.seconds` each, side by side, each
    /// counted once it has run `options.warmup` seconds.
    private static func workers<Resource: Sendable>(
        _ options: Options, prepare: @escaping @Sendable (Int) async throws -> (Resource, @Sendable () async -> Void),
        query: nonisolated(nonsending) @escaping @Sendable (Resource) async throws -> Int
    ) async throws -> Double {
        try await withThrowingTaskGroup(of: Double.self) { group in
            let executor: (any TaskExecutor)? = options.onConnectionThreads ? ConnectionThreadExecutor.shared : nil
            for worker in 0..<options.workers {
                group.addTask(executorPreference: executor) {
                    let (resource, finish) = try await prepare(worker)
                    let clock = ContinuousClock()
                    let warm = clock.now + .milliseconds(Int(options.warmup * 1000))
                    while clock.now < warm {
                        _ = try await query(resource)
                    }
                    let start = clock.now
                    let end = start + .milliseconds(Int(options.seconds * 1000))
                    var count = 0
                    while clock.now < end {
                        count += try await query(resource)
                    }
                    let elapsed = clock.now - start
                    await finish()
                    let (whole, fraction) = elapsed.components
                    return Double(count) / (Double(whole) + Double(fraction) / 1e18)
                }
            }
            return try await group.reduce(0, +)
        }
    }
}
