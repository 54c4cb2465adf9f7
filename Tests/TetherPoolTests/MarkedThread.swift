import Foundation
import TetherLocking
import TetherTestKit

@testable import TetherPool

/// Fake connections that own marked threads: each new connection takes a mark no open
/// connection holds, while one is free; a closed connection frees its mark.
final class MarkedFakeFactory: ConnectionFactory, Sendable {
    private struct Marks {
        var free: [ThreadAffinity]
        var owners: [Int: ThreadAffinity] = [:]
        var first: Int?
    }

    private let fake = FakeConnectionFactory()
    private let marks: Locked<Marks>

    init(marks: [ThreadAffinity]) {
        self.marks = Locked(Marks(free: marks.reversed()))
    }

    convenience init(mark: ThreadAffinity) {
        self.init(marks: [mark])
    }

    /// The first connection that owned a marked thread, once one was made.
    var markedConnection: Int? { marks.withLock { $0.first } }

    /// The fake factory underneath, for its records and scripts.
    var records: FakeConnectionFactory { fake }

    func makeConnection(to target: String, timeout: Duration) async throws -> FakeConnection {
        try await fake.makeConnection(to: target, timeout: timeout)
    }

    func close(_ connection: FakeConnection) async {
        await fake.close(connection)
        marks.withLock { marks in
            if let mark = marks.owners.removeValue(forKey: connection.id) {
                marks.free.append(mark)
            }
        }
    }

    func classify(_ error: any Error) -> ConnectionFailureKind {
        fake.classify(error)
    }

    func validate(_ connection: FakeConnection) async -> Bool {
        await fake.validate(connection)
    }

    func reset(_ connection: FakeConnection) async throws -> Bool {
        try await fake.reset(connection)
    }

    func threadAffinity(of connection: FakeConnection) -> ThreadAffinity? {
        marks.withLock { marks in
            if let owned = marks.owners[connection.id] {
                return owned
            }
            guard let mark = marks.free.popLast() else {
                return nil
            }
            marks.owners[connection.id] = mark
            marks.first = marks.first ?? connection.id
            return mark
        }
    }
}

/// One marked thread that runs the jobs of the tasks that prefer it, in order.
final class MarkedThreadExecutor: TaskExecutor, @unchecked Sendable {
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
