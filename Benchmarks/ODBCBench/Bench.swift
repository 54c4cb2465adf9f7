import TetherODBC

enum Bench {
    /// Runs `workers` loops side by side; returns their summed queries per second.
    static func run(connectString: String, workers: Int, seconds: Double, perSession: Int = 1) async throws -> Double {
        try await withThrowingTaskGroup(of: Double.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    try await worker(connectString: connectString, seconds: seconds, perSession: perSession)
                }
            }
            return try await group.reduce(0, +)
        }
    }

    /// One connection, `perSession` queries per session, as many as fit in `seconds`.
    private static func worker(connectString: String, seconds: Double, perSession: Int) async throws -> Double {
        let connection = try await ODBCConnection.connect(connectString)
        let clock = ContinuousClock()
        let start = clock.now
        let end = start + .milliseconds(Int(seconds * 1000))
        var count = 0
        while clock.now < end {
            let total = try await connection.withSession { session in
                var total = 0
                for _ in 0..<perSession {
                    total += try session.query("SELECT 1")[0].decode(Int.self, at: 0)
                }
                return total
            }
            precondition(total == perSession, "SELECT 1 returned \(total) over \(perSession) queries")
            count += perSession
        }
        let elapsed = clock.now - start
        await connection.close()
        let (whole, fraction) = elapsed.components
        return Double(count) / (Double(whole) + Double(fraction) / 1e18)
    }
}
