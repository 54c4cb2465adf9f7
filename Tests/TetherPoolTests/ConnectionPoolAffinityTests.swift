import Foundation
import Testing
import TetherLocking
import TetherTestKit

@testable import TetherPool

/// The shell passes the caller's ``ThreadAffinity`` to the machine: a caller on a marked thread
/// is lent that thread's connection even when another one was used last.
@Suite("ConnectionPool: thread affinity", .timeLimit(.minutes(1)))
struct ConnectionPoolAffinityTests {
    @Test("a caller on a connection's thread is lent that connection, not the one returned last")
    func callerOnMarkedThreadGetsItsConnection() async throws {
        let thread = MarkedThreadExecutor()
        let mark = await thread.mark()
        let factory = MarkedFakeFactory(mark: mark)
        var configuration = PoolConfiguration.testing(minimum: 2, maximum: 2)
        configuration.keepAliveThreshold = nil
        let pool = try ConnectionPool(factory: factory, target: "fake", configuration: configuration)
        async let running: Void = pool.run()
        while pool.gauges.idle < 2 {
            await Task.yield()
        }
        let marked = try #require(factory.markedConnection)
        for _ in 0..<5 {
            // Return the marked connection first, so the other one is the most recently used.
            let leases = [try await pool.acquire(), try await pool.acquire()]
            let isMarked = { (lease: PoolLease) in pool.connection(of: lease).id == marked }
            let ordered = leases.sorted { isMarked($0) && !isMarked($1) }
            for lease in ordered {
                pool.release(lease, .reusable)
            }
            let fromGlobal = try await pool.withConnection { $0.id }
            #expect(fromGlobal != marked)
            let fromMarked = try await Task(executorPreference: thread) { try await pool.withConnection { $0.id } }
                .value
            #expect(fromMarked == marked)
        }
        await pool.shutdown()
        await running
        thread.stop()
    }
}

/// Fake connections, the first of which owns the thread marked `mark`.
private final class MarkedFakeFactory: ConnectionFactory, Sendable {
    private let fake = FakeConnectionFactory()
    private let mark: ThreadAffinity
    private let marked = Locked<Int?>(nil)

    init(mark: ThreadAffinity) {
        self.mark = mark
    }

    /// The connection that owns the marked thread, once one was made.
    var markedConnection: Int? { marked.withLock { $0 } }

    func makeConnection(to target: String, timeout: Duration) async throws -> FakeConnection {
        try await fake.makeConnection(to: target, timeout: timeout)
    }

    func close(_ connection: FakeConnection) async {
        await fake.close(connection)
    }

    func classify(_ error: any Error) -> ConnectionFailureKind {
        fake.classify(error)
    }

    func threadAffinity(of connection: FakeConnection) -> ThreadAffinity? {
        marked.withLock { marked in
            guard marked == nil else {
                return nil
            }
            marked = connection.id
            return mark
        }
    }
}

/// One marked thread that runs the jobs of the tasks that prefer it, in order.
private final class MarkedThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let jobs = Locked<(queue: [UnownedJob], stopped: Bool)>(([], false))
    private let ready = DispatchSemaphore(value: 0)
    private let marked = Locked<ThreadAffinity?>(nil)

    init() {
        let thread = Thread { [self] in
            let mark = ThreadAffinity.markCurrentThread()
            marked.withLock { $0 = mark }
            serve()
        }
        thread.start()
    }

    func mark() async -> ThreadAffinity {
        while true {
            if let mark = marked.withLock({ $0 }) {
                return mark
            }
            await Task.yield()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.queue.append(job) }
        ready.signal()
    }

    func stop() {
        jobs.withLock { $0.stopped = true }
        ready.signal()
    }

    private func serve() {
        while true {
            ready.wait()
            let (next, stopped) = jobs.withLock { jobs -> (UnownedJob?, Bool) in
                (jobs.queue.isEmpty ? nil : jobs.queue.removeFirst(), jobs.stopped)
            }
            if let next {
                next.runSynchronously(on: asUnownedTaskExecutor())
            } else if stopped {
                return
            }
        }
    }
}
