extension QueueSQL {
    /// Ready requests whose run time is still to come, and the seconds until the first of them
    /// (NULL when there is none). Parameter: queue.
    public var scheduledLater: String {
        """
        SELECT COUNT(*), -MAX(\(schema.dialect.secondsSince("run_at"))) FROM \(schema.requestTable)
        WHERE queue = ? AND state = 'ready' AND run_at > \(schema.dialect.now)
        """
    }
}

extension QueueStore {
    public func scheduledLater() async throws -> (count: Int, nextIn: Duration?) {
        let (sql, queue) = (self.sql, queueName)
        return try await database.withSession { session in
            guard let row = try session.queryFirst(sql.scheduledLater, [.text(queue)]) else { return (0, nil) }
            let count = try row.decode(Int.self, at: 0)
            let seconds = Self.text(of: row[1]).flatMap(Double.init)
            return (count, seconds.map { .milliseconds(Int64(max($0, 0) * 1000)) })
        }
    }
}
