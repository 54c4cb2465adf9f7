import Synchronization
import Testing
import TetherLocking
import TetherPool
import TetherTestKit

typealias FakePool = ConnectionPool<FakeConnectionFactory>

/// Runs `body` with a pool of fake connections whose ``ConnectionPool/run()`` is running, then
/// shuts the pool down and waits for ``ConnectionPool/run()`` to return.
func withFakePool(
    minimum: Int = 0, maximum: Int = 2, factory: FakeConnectionFactory = FakeConnectionFactory(),
    delegate: (any ConnectionPoolDelegate)? = nil,
    configure: (inout PoolConfiguration) -> Void = { _ in },
    _ body: (FakePool, ManualClock) async throws -> Void
) async throws {
    var configuration = PoolConfiguration()
    configuration.minimumConnections = minimum
    configuration.maximumConnections = maximum
    configure(&configuration)
    let clock = ManualClock()
    let pool = try ConnectionPool(
        factory: factory, target: "db-a", configuration: configuration, clock: clock, delegate: delegate)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await pool.run() }
        do {
            try await body(pool, clock)
        } catch {
            group.cancelAll()
            throw error
        }
        await pool.shutdown()
        try await group.waitForAll()
    }
}

/// Waits, yielding, until `condition` holds; records an issue if it never does.
func eventually(
    _ what: Comment, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool
) async {
    if await !yieldUntil(condition) {
        Issue.record("never happened: \(what)", sourceLocation: sourceLocation)
    }
}

/// A one-shot signal a test opens to let parked tasks go on.
final class Gate: Sendable {
    private let state = Locked<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if !state.open {
                    state.waiting.append(continuation)
                }
                return state.open
            }
            if open {
                continuation.resume()
            }
        }
    }

    var isOpen: Bool { state.withLock { $0.open } }

    /// Tasks waiting for the gate to open.
    var waiters: Int { state.withLock { $0.waiting.count } }

    func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        waiting.forEach { $0.resume() }
    }
}

/// Records values from many tasks in order.
final class Recorder<Value: Sendable>: Sendable {
    private let values = Locked<[Value]>([])

    func append(_ value: Value) {
        values.withLock { $0.append(value) }
    }

    var all: [Value] { values.withLock { $0 } }
}
