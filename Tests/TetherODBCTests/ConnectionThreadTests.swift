import Testing
import TetherODBC

/// A connection thread polls for its next session for a moment before it parks; a session
/// posted while it polls, just as it parks, or long after must all run.
@Suite("Connection thread polling", .needsSQLite, .timeLimit(.minutes(1)))
struct ConnectionThreadTests {
    @Test("sessions posted at every distance from the last one all run, in order, on one connection")
    func sessionsAtEveryGapRun() async throws {
        let gaps: [Duration] = [.zero, .microseconds(20), .microseconds(45), .microseconds(60), .microseconds(200)]
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                try await connection.withSession { try $0.execute("CREATE TABLE seen (n INTEGER)") }
                for number in 0..<500 {
                    let gap = gaps[number % gaps.count]
                    if gap > .zero {
                        try await Task.sleep(for: gap)
                    }
                    try await connection.withSession {
                        try $0.execute("INSERT INTO seen VALUES (?)", [.int(Int64(number))])
                    }
                }
                let numbers = try await connection.withSession { session in
                    try session.query("SELECT n FROM seen ORDER BY rowid").map { try $0.decode(Int.self, at: 0) }
                }
                #expect(numbers == Array(0..<500))
            }
        }
    }

    @Test("connections used side by side from many tasks each run every session")
    func connectionsSideBySide() async throws {
        try await Databases.withSQLite { connectString in
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await Databases.with(connectString) { connection in
                            var total = 0
                            for _ in 0..<200 {
                                total += try await connection.withSession {
                                    try $0.query("SELECT 1")[0].decode(Int.self, at: 0)
                                }
                            }
                            return total
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(counts == [200, 200, 200, 200])
        }
    }
}
