import Testing
import TetherPool
import TetherTestKit

/// A caller cancelled while its idle connection is due for a check must not cost the pool
/// that connection: the check fails because the caller is cancelled, not the connection.
@Suite("Cancelled validation", .timeLimit(.minutes(1)))
struct ConnectionPoolCancelledValidationTests {
    @Test("a caller cancelled at the check gives the connection back unharmed, still due for the check")
    func cancelledCheckKeepsConnection() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(minimum: 1, maximum: 1, factory: factory) { pool, clock in
            await eventually("the connection is open") { pool.gauges.idle == 1 }
            clock.advance(by: .seconds(31))
            let cancelled = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                try await pool.withConnection { _ in }
            }
            await #expect(throws: CancellationError.self) { try await cancelled.value }
            #expect(factory.validations == 1)
            #expect(pool.counters.closed.isEmpty, "closed: \(pool.counters.closed)")
            #expect(pool.gauges.idle == 1)
            try await pool.withConnection { _ in }
            #expect(factory.validations == 2, "the next borrower checks it")
            #expect(factory.attempts == 1, "no connection was made in its place")
        }
    }

    @Test("a connection the check finds dead is still closed as failed validation")
    func deadConnectionIsClosed() async throws {
        let factory = FakeConnectionFactory()
        try await withFakePool(minimum: 1, maximum: 1, factory: factory) { pool, clock in
            await eventually("the connection is open") { pool.gauges.idle == 1 }
            factory.connections.first?.kill()
            clock.advance(by: .seconds(31))
            try await pool.withConnection { _ in }
            #expect(pool.counters.closed[.failedValidation] == 1)
            #expect(factory.attempts == 2)
        }
    }
}
