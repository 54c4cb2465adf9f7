import TetherODBC

extension QueueStore {
    /// PostgreSQL: writes a batch of results and their state changes with one statement
    /// (``QueueSQL/writeBatchPostgres``); returns how many state changes applied.
    func writeBatch(_ results: [AttemptResult]) async throws -> Int {
        let statement = sql.writeBatchPostgres
        let parameters = Self.batchParameters(results, worker: owner)
        return try await database.withSession { session in
            try session.queryFirst(statement, parameters)?.decode(Int.self, at: 0) ?? 0
        }
    }

    /// Whether two results name the same attempt of one request. One statement cannot record
    /// both (PostgreSQL refuses to change a row twice), so such a batch is written row by row,
    /// in order, where the second is fenced out as it always was.
    static func namesAnAttemptTwice(_ results: [AttemptResult]) -> Bool {
        var seen = Set<AttemptKey>(minimumCapacity: results.count)
        return !results.allSatisfy { seen.insert(AttemptKey(requestID: $0.requestID, attempt: $0.attempt)).inserted }
    }

    /// The parameters of ``QueueSQL/writeBatchPostgres``: one array per column of
    /// ``QueueSQL/batchColumns``, then the worker name.
    static func batchParameters(_ results: [AttemptResult], worker: String) -> [ODBCValue] {
        let integers = { (values: [Int64?]) in ODBCValue.text(PostgresArrayLiteral.integers(values)) }
        let texts = { (values: [String?]) in ODBCValue.text(PostgresArrayLiteral.texts(values)) }
        return [
            integers(results.map(\.requestID)),
            integers(results.map { Int64($0.attempt) }),
            texts(results.map(\.outcome.rawValue)),
            integers(results.map { $0.smtpCode.map(Int64.init) }),
            texts(results.map(\.enhancedCode)),
            texts(results.map(\.detail)),
            texts(results.map { JSONValue.array($0.recipients.map(\.jsonValue)).compactText }),
            texts(results.map(\.nextState)),
            integers(results.map { $0.outcome == .retry ? DurationText.milliseconds(of: $0.retryAfter) : 0 }),
            texts(results.map(\.lastError)),
            integers(results.map { $0.released ? 1 : 0 }),
            .text(worker),
        ]
    }

    private struct AttemptKey: Hashable {
        let requestID: Int64
        let attempt: Int
    }
}
