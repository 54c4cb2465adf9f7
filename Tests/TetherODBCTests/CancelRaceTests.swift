import Testing
import TetherODBC

@Suite("ODBCConnection cancellation around the start of a statement", .needsPostgres)
struct CancelRaceTests {
    /// A query timeout far above the bound, so a cancel that was lost shows as a slow iteration.
    private static let queryTimeout = Duration.seconds(12)

    @Test("a cancel fired at any moment around a statement's start ends it within seconds, never at the timeout")
    func cancelAroundStatementStart() async throws {
        var configuration = ODBCConnection.Configuration()
        configuration.queryTimeout = Self.queryTimeout
        try await Databases.with(Databases.postgres(), configuration: configuration) { connection in
            var slow: [String] = []
            // Delays from 0 to 4 ms, closest where the statement starts (a few hundred µs here).
            for iteration in 0..<200 {
                let delay = Duration.microseconds(iteration * iteration / 10)
                let started = ContinuousClock.now
                let sleeper = Task {
                    try await connection.withSession { try $0.execute("SELECT pg_sleep(30)") }
                }
                while ContinuousClock.now - started < delay {}
                sleeper.cancel()
                let result = await sleeper.result
                let elapsed = ContinuousClock.now - started
                if elapsed >= .seconds(4) {
                    slow.append("cancel after \(delay) ended after \(elapsed)")
                }
                #expect(throws: ODBCError.self) { try result.get() }
            }
            #expect(slow.isEmpty, "\(slow.count) of 200 cancels were lost: \(slow)")
            let one = try await connection.withSession { try $0.query("SELECT 1")[0].decode(Int.self, at: 0) }
            #expect(one == 1)
        }
    }
}
