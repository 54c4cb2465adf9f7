import Testing
import TetherPool
import TetherTestKit

@Suite("TetherTestKit: FakeConnection", .timeLimit(.minutes(1)))
struct FakeConnectionTests {
    @Test("hang() ends when its task is cancelled, not only when the pool cancels it")
    func hangEndsWithItsTask() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(factory: factory) { pool, _ in
            let holder = Task { try await pool.withConnection { try await $0.hang() } }
            // Counted in the same critical section that registers the operation.
            await eventually("the operation hangs") { factory.connections.first?.operations == 1 }
            holder.cancel()
            await #expect(throws: FakeConnectionError.cancelled) { try await holder.value }
            #expect(factory.connections[0].cancellations == 0, "the pool cancelled nothing")
            await eventually("the connection is back, idle") { pool.gauges.idle == 1 && pool.gauges.leased == 0 }
        }
    }

    @Test("hang() in a task cancelled before the call ends at once")
    func hangInCancelledTask() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(factory: factory) { pool, _ in
            let cancelled = Task {
                try await pool.withConnection { connection in
                    withUnsafeCurrentTask { $0?.cancel() }
                    try await connection.hang()
                }
            }
            await #expect(throws: FakeConnectionError.cancelled) { try await cancelled.value }
            #expect(factory.connections[0].operations == 1)
        }
    }

    @Test("perform(_:) hands back its work's value, and on a dead connection fails before the work runs")
    func performReturnsValue() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(factory: factory) { pool, _ in
            let rows = try await pool.withConnection { connection in try connection.perform { ["a", "b"] } }
            #expect(rows == ["a", "b"])
        }
        let connection = FakeConnection()
        connection.kill()
        var ran = false
        #expect(throws: FakeConnectionError.broken) { try connection.perform { ran = true } }
        #expect(!ran, "the work of an operation on a dead connection never runs")
        #expect(connection.operations == 1)
    }

    @Test("a connection made on its own neither takes nor frees a factory's thread mark")
    func standaloneConnectionAndMarks() async throws {
        let thread = MarkedThreadExecutor()
        defer { thread.stop() }
        let factory = FakeConnectionFactory(threadMarks: [thread.mark])
        let owned = try await factory.makeConnection(to: "db", timeout: .seconds(1))
        let standalone = FakeConnection(id: owned.id)
        #expect(factory.threadAffinity(of: owned) == thread.mark)
        #expect(factory.threadAffinity(of: standalone) == nil)
        await factory.close(standalone)
        #expect(factory.threadAffinity(of: owned) == thread.mark, "the factory's connection keeps its mark")
        await factory.close(owned)
    }

    @Test("yieldUntil says whether the condition held; a bound below 1 checks once")
    func yieldUntilBounds() async {
        #expect(await yieldUntil(atMost: -1) { true })
        #expect(await !yieldUntil(atMost: -1) { false })
        #expect(await !yieldUntil(atMost: 10) { false })
    }
}
