// Measures what TetherPool costs and how fairly it serves, with fake connections (no I/O):
//
//   make bench-pool
//
// Prints one JSON line per figure.
@preconcurrency import Glibc
import Synchronization
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
func withPool(
    maximum: Int, factory: FakeConnectionFactory = FakeConnectionFactory(),
    _ body: (ConnectionPool<FakeConnectionFactory>) async throws -> Void
) async throws {
    var configuration = PoolConfiguration()
    configuration.minimumConnections = maximum
    configuration.maximumConnections = maximum
    configuration.acquireTimeout = .seconds(60)
    configuration.keepAliveThreshold = nil
    let pool = try ConnectionPool(factory: factory, target: "fake", configuration: configuration)
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

/// The CPU time the whole process has used, which excludes time spent descheduled on a busy machine.
func processCPUTime() -> Duration {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return .seconds(spec.tv_sec) + .nanoseconds(spec.tv_nsec)
}

/// One task borrowing and returning a connection as fast as it can: the pool's own cost, as
/// process CPU time per borrow (the figure the target is for) and as elapsed time, in ns.
func borrowCosts(_ pool: ConnectionPool<FakeConnectionFactory>) async throws -> (cpu: Double, elapsed: Double) {
    let rounds = 1_000_000
    for _ in 0..<10_000 {
        try await pool.withConnection { _ in }
    }
    let start = ContinuousClock.now
    let cpuStart = processCPUTime()
    for _ in 0..<rounds {
        try await pool.withConnection { _ in }
    }
    return (
        nanoseconds(processCPUTime() - cpuStart) / Double(rounds),
        nanoseconds(ContinuousClock.now - start) / Double(rounds)
    )
}

/// The borrow loop in a plain task: through the pool's lock.
func measureUncontended() async throws {
    try await withPool(maximum: 1) { pool in
        let (cpu, elapsed) = try await borrowCosts(pool)
        report("acquire-release-uncontended", "ns", cpu, target: 1000)
        report("acquire-release-uncontended-elapsed", "ns", elapsed)
    }
}

/// The same loop run by a task on the thread its connection owns (as a worker on
/// `ConnectionThreadExecutor` borrows an ODBC connection): the connection waits on that thread
/// between borrows, taken and given back without the pool's lock.
func measureOwnThread() async throws {
    let thread = MarkedThreadExecutor()
    defer { thread.stop() }
    try await withPool(maximum: 1, factory: FakeConnectionFactory(threadMarks: [thread.mark])) { pool in
        let (cpu, elapsed) = try await Task(executorPreference: thread) { try await borrowCosts(pool) }.value
        report("acquire-release-own-thread", "ns", cpu, target: 1000)
        report("acquire-release-own-thread-elapsed", "ns", elapsed)
    }
}

/// 1,000 tasks share 50 connections, each borrowing over and over; the waits of the middle
/// borrows, when every task is queueing, are recorded (the first borrows start together and the
/// last ones meet a shrinking queue). With first-come-first-served hand-off every wait is close to
/// the queue length times the hold time (1 ms asleep, so that holders really suspend), so p99
/// stays close to p50.
func measureContended() async throws {
    let tasks = 1000
    let borrowsPerTask = 30
    let measured = 10..<20
    try await withPool(maximum: 50) { pool in
        let samples = try await withThrowingTaskGroup(of: (waits: [Double], holds: [Double]).self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    var waits: [Double] = []
                    var holds: [Double] = []
                    waits.reserveCapacity(borrowsPerTask)
                    holds.reserveCapacity(borrowsPerTask)
                    for _ in 0..<borrowsPerTask {
                        let asked = ContinuousClock.now
                        try await pool.withConnection { _ in
                            let lent = ContinuousClock.now
                            waits.append(nanoseconds(lent - asked))
                            try await Task.sleep(for: .milliseconds(1))
                            holds.append(nanoseconds(ContinuousClock.now - lent))
                        }
                    }
                    return (Array(waits[measured]), Array(holds[measured]))
                }
            }
            return try await group.reduce(into: (waits: [Double](), holds: [Double]())) {
                $0.waits += $1.waits
                $0.holds += $1.holds
            }
        }
        let waits = samples.waits.sorted()
        let holds = samples.holds.sorted()
        let p50 = percentile(waits, 0.50) / 1000
        let p99 = percentile(waits, 0.99) / 1000
        report("wait-1000-tasks-50-connections-p50", "us", p50)
        report("wait-1000-tasks-50-connections-p99", "us", p99)
        report("wait-1000-tasks-50-connections-p99-over-p50", "ratio", p99 / p50, target: 1.5)
        // The holds are 1 ms sleeps; how far they overshoot on a busy machine sets the spread of the waits.
        report("hold-1000-tasks-50-connections-p50", "us", percentile(holds, 0.50) / 1000)
        report("hold-1000-tasks-50-connections-p99", "us", percentile(holds, 0.99) / 1000)
    }
}

/// Which part of the swap benchmark is running: 0 warm-up, 1 steady, 2 swapping, 3 done.
final class Phase: Sendable {
    let value = Atomic<Int>(0)
}

/// 16 tasks borrow continuously, each holding the connection 200 µs asleep; latency (call to
/// return) and throughput in steady state, then while the pool swaps targets ten times in a row.
func measureSwap() async throws {
    var configuration = PoolConfiguration()
    configuration.minimumConnections = 8
    configuration.maximumConnections = 8
    let pool = try ConnectionPool(factory: FakeConnectionFactory(), target: "a", configuration: configuration)
    let phase = Phase()
    try await withThrowingTaskGroup(of: (steady: [Double], swapping: [Double], errors: Int).self) { group in
        group.addTask {
            await pool.run()
            return ([], [], 0)
        }
        while pool.gauges.idle < 8 {
            await Task.yield()
        }
        for _ in 0..<16 {
            group.addTask {
                var steady: [Double] = []
                var swapping: [Double] = []
                var errors = 0
                while case let current = phase.value.load(ordering: .relaxed), current < 3 {
                    let start = ContinuousClock.now
                    do {
                        try await pool.withConnection { _ in try await Task.sleep(for: .microseconds(200)) }
                    } catch {
                        errors += 1
                    }
                    let latency = nanoseconds(ContinuousClock.now - start) / 1000
                    if current == 1 { steady.append(latency) } else if current == 2 { swapping.append(latency) }
                }
                return (steady, swapping, errors)
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        phase.value.store(1, ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(500))
        let steadyEnd = ContinuousClock.now
        phase.value.store(2, ordering: .relaxed)
        for round in 0..<10 {
            _ = await pool.swap(to: round % 2 == 0 ? "b" : "a")
        }
        let swapTime = ContinuousClock.now - steadyEnd
        phase.value.store(3, ordering: .relaxed)
        var steady: [Double] = []
        var swapping: [Double] = []
        var errors = 0
        for _ in 0..<16 {
            let result = try await group.next()!
            steady += result.steady
            swapping += result.swapping
            errors += result.errors
        }
        await pool.shutdown()
        try await group.waitForAll()
        steady.sort()
        swapping.sort()
        report("swap-steady-ops-per-second", "ops/s", Double(steady.count) / 0.5)
        report("swap-during-ops-per-second", "ops/s", Double(swapping.count) / (nanoseconds(swapTime) / 1e9))
        report("swap-steady-p99", "us", percentile(steady, 0.99))
        report("swap-during-p99", "us", percentile(swapping, 0.99))
        report("swap-p99-ratio", "ratio", percentile(swapping, 0.99) / percentile(steady, 0.99), target: 3)
        report("swap-errors", "count", Double(errors), target: 0)
    }
}

// `PoolBenchmark uncontended own-thread contended swap` runs the named cases only; no argument
// runs all four.
let chosen = Set(CommandLine.arguments.dropFirst())
if chosen.isEmpty || chosen.contains("uncontended") {
    try await measureUncontended()
}
if chosen.isEmpty || chosen.contains("own-thread") {
    try await measureOwnThread()
}
if chosen.isEmpty || chosen.contains("contended") {
    try await measureContended()
}
if chosen.isEmpty || chosen.contains("swap") {
    try await measureSwap()
}
