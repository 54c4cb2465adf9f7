// Measures what TetherPool costs and how fairly it serves, with fake connections (no I/O):
//
//   make bench-pool
//
// Prints one JSON line per figure.
@preconcurrency import Glibc
import TetherPool
import TetherTestKit

setvbuf(stdout, nil, _IOLBF, 0)

/// One JSON line.
func report(_ name: String, _ unit: String, _ value: Double, target: Double? = nil) {
    let rounded = (value * 1000).rounded() / 1000
    var line = "{\"suite\":\"pool\",\"case\":\"\(name)\",\"unit\":\"\(unit)\",\"ours\":\(rounded)"
    if let target {
        line += ",\"target\":\(target)"
    }
    print(line + "}")
}

func nanoseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
}

func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * fraction).rounded(.up)) - 1))]
}

/// Runs `body` with a pool of `maximum` fake connections, all open before it starts.
func withPool(maximum: Int, _ body: (ConnectionPool<FakeConnectionFactory>) async throws -> Void) async throws {
    var configuration = PoolConfiguration()
    configuration.minimumConnections = maximum
    configuration.maximumConnections = maximum
    configuration.acquireTimeout = .seconds(60)
    configuration.keepAliveThreshold = nil
    let pool = try ConnectionPool(factory: FakeConnectionFactory(), target: "fake", configuration: configuration)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await pool.run() }
        while pool.gauges.idle < maximum {
            await Task.yield()
        }
        try await body(pool)
        await pool.shutdown()
        try await group.waitForAll()
    }
}

/// One task borrowing and returning a connection as fast as it can: the pool's own cost.
func measureUncontended() async throws {
    let rounds = 1_000_000
    try await withPool(maximum: 1) { pool in
        for _ in 0..<10_000 {
            try await pool.withConnection { _ in }
        }
        let start = ContinuousClock.now
        for _ in 0..<rounds {
            try await pool.withConnection { _ in }
        }
        let perRound = nanoseconds(ContinuousClock.now - start) / Double(rounds)
        report("acquire-release-uncontended", "ns", perRound, target: 1000)
    }
}

/// 1,000 tasks share 50 connections, each borrowing over and over; the wait of every borrow
/// after the first round is recorded. With first-come-first-served hand-off every wait is close
/// to the queue length times the hold time, so p99 stays close to p50.
func measureContended() async throws {
    let tasks = 1000
    let borrowsPerTask = 20
    try await withPool(maximum: 50) { pool in
        let waits = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    var waits: [Double] = []
                    waits.reserveCapacity(borrowsPerTask)
                    for _ in 0..<borrowsPerTask {
                        let asked = ContinuousClock.now
                        try await pool.withConnection { _ in
                            waits.append(nanoseconds(ContinuousClock.now - asked))
                            await Task.yield()
                        }
                    }
                    return Array(waits.dropFirst())
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }.sorted()
        let p50 = percentile(waits, 0.50) / 1000
        let p99 = percentile(waits, 0.99) / 1000
        report("wait-1000-tasks-50-connections-p50", "us", p50)
        report("wait-1000-tasks-50-connections-p99", "us", p99)
        report("wait-1000-tasks-50-connections-p99-over-p50", "ratio", p99 / p50, target: 1.5)
    }
}

try await measureUncontended()
try await measureContended()
