import CBenchTurns
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
        /// The turns to run in instead of `warmup` and `seconds` (`bench_turns_open`).
        nonisolated(unsafe) var turns: OpaquePointer?
    }

    /// Runs the workers side by side; returns their summed queries per second and the
    /// process's CPU time per query while they counted.
    static func run(_ options: Options) async throws -> (rate: Double, cpuPerQuery: Double) {
        let window = CPUWindow(workers: options.workers, turns: options.turns)
        if options.direct {
            let rate = try await workers(options) { _ in
                let connection = try await ODBCConnection.connect(options.connectString)
                var loop = TimedLoop(options, window)
                while loop.goesOn() {
                    loop.count(try await session(on: connection, options.perSession))
                }
                let rate = loop.rate
                await connection.close()
                return rate
            }
            return (rate, window.microsecondsPerQuery)
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
                // The borrow is written out in the loop: a closure per query would add an async
                // call of the benchmark's own to what is measured.
                var loop = TimedLoop(options, window)
                while loop.goesOn() {
                    loop.count(try await pool.withConnection { try await session(on: $0, options.perSession) })
                }
                return loop.rate
            }
            await pool.shutdown()
            try await group.waitForAll()
            return (rate, window.microsecondsPerQuery)
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

    /// Runs `options.workers` copies of `worker` side by side; returns the sum of their rates.
    private static func workers(
        _ options: Options, _ worker: @escaping @Sendable (Int) async throws -> Double
    ) async throws -> Double {
        try await withThrowingTaskGroup(of: Double.self) { group in
            let executor: (any TaskExecutor)? = options.onConnectionThreads ? ConnectionThreadExecutor.shared : nil
            for index in 0..<options.workers {
                group.addTask(executorPreference: executor) { try await worker(index) }
            }
            return try await group.reduce(0, +)
        }
    }
}

/// One worker's clock: `options.warmup` seconds not counted, then `options.seconds` counted;
/// or, with `options.turns`, this side's turns until the coordinator ends the run.
struct TimedLoop {
    private let clock = ContinuousClock()
    private let window: CPUWindow
    private let seconds: Double
    private let turns: OpaquePointer?
    /// The turn running now, as the coordinator wrote it.
    private var turn: CChar = 0
    /// Counted time of the turns before this one, in seconds.
    private var countedBefore = 0.0
    /// The warm-up's end until counting starts, then the counted time's start. Not optional:
    /// an optional `Instant` costs value-witness calls on every query.
    private var start: ContinuousClock.Instant
    private var end: ContinuousClock.Instant
    private var counting = false
    private var queries = 0

    init(_ options: Bench.Options, _ window: CPUWindow) {
        self.window = window
        seconds = options.seconds
        turns = options.turns
        start = clock.now + .milliseconds(Int(options.warmup * 1000))
        end = start
    }

    /// Whether to run another query; starts counting once the warm-up is over.
    mutating func goesOn() -> Bool {
        if let turns {
            return bench_turns_seen(turns) == turn || nextTurn(turns)
        }
        let now = clock.now
        if !counting, now >= start {
            counting = true
            start = now
            end = now + .milliseconds(Int(seconds * 1000))
            queries = 0
            window.workerStarted()
        }
        guard !counting || now < end else {
            window.workerFinished(queries: queries)
            return false
        }
        return true
    }

    /// Ends the turn that ran, waits for this side's next one (blocking the thread: each worker
    /// has its own); `false` when the run is over.
    private mutating func nextTurn(_ turns: OpaquePointer) -> Bool {
        if counting {
            countedBefore += Self.seconds(clock.now - start)
        }
        let mode = bench_turns_wait(turns, &turn)
        guard mode >= 0 else {
            window.workerFinished(queries: queries)
            return false
        }
        counting = mode == 1
        start = clock.now
        return true
    }

    mutating func count(_ ran: Int) {
        if counting || turns == nil {
            queries += ran
        }
    }

    /// Queries per second over the counted time.
    var rate: Double {
        let counted = turns == nil ? (counting ? Self.seconds(clock.now - start) : 0) : countedBefore
        return counted > 0 ? Double(queries) / counted : 0
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (whole, fraction) = duration.components
        return Double(whole) + Double(fraction) / 1e18
    }
}
