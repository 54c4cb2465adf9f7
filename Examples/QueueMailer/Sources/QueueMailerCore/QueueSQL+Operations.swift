extension QueueSQL {
    /// Moves a lost attempt's request back to `ready`, or to `unknown` when it has no attempts
    /// left, fenced by attempt. Parameters: state, last error, id, attempt.
    public var requeueExpired: String {
        """
        UPDATE \(schema.requestTable) SET state = ?, last_error = ?, lease_owner = NULL, lease_expires_at = NULL,
            run_at = \(schema.dialect.now), updated_at = \(schema.dialect.now)
        WHERE id = ? AND attempt = ? AND state = 'running'
        """
    }

    /// Request counts by state in one queue. Parameter: queue.
    public var countByState: String {
        "SELECT state, COUNT(*) FROM \(schema.requestTable) WHERE queue = ? GROUP BY state ORDER BY state"
    }

    /// Result counts by outcome for one queue's requests. Parameter: queue.
    public var countByOutcome: String {
        """
        SELECT r.outcome, COUNT(*) FROM \(schema.resultTable) r
        JOIN \(schema.requestTable) q ON q.id = r.request_id
        WHERE q.queue = ? GROUP BY r.outcome ORDER BY r.outcome
        """
    }

    /// The ready request waiting longest past its run time, with seconds waited. Parameter: queue.
    public var oldestReady: String {
        """
        SELECT id, \(schema.dialect.secondsSince("run_at")) FROM \(schema.requestTable)
        WHERE queue = ? AND state = 'ready' AND run_at <= \(schema.dialect.now)
        ORDER BY run_at, id LIMIT 1
        """
    }

    /// Leases held per owner, with how many have expired. Parameter: queue.
    public var leasesByOwner: String {
        """
        SELECT lease_owner, COUNT(*),
            SUM(CASE WHEN lease_expires_at < \(schema.dialect.now) THEN 1 ELSE 0 END)
        FROM \(schema.requestTable) WHERE queue = ? AND state = 'running'
        GROUP BY lease_owner ORDER BY lease_owner
        """
    }

    /// Requests still to finish in a queue: ready (now or later) or running. Parameter: queue.
    public var unfinishedCount: String {
        "SELECT COUNT(*) FROM \(schema.requestTable) WHERE queue = ? AND state IN ('ready', 'running')"
    }

    /// Makes failed or unknown requests ready again, unless an attempt was recorded as sent.
    /// Parameters: extra attempts, then those of `filter`.
    public func requeue(where filter: String) -> String {
        """
        UPDATE \(schema.requestTable) SET state = 'ready', run_at = \(schema.dialect.now),
            max_attempts = attempt + \(integerParameter), updated_at = \(schema.dialect.now)
        WHERE state IN ('failed', 'unknown') AND \(filter)
            AND NOT EXISTS (SELECT 1 FROM \(schema.resultTable) s
                            WHERE s.request_id = \(schema.requestTable).id AND s.outcome = 'sent')
        """
    }

    /// The requeue filter for ids (bound one parameter each).
    public static func idFilter(count: Int) -> String {
        "id IN (\(Array(repeating: "?", count: count).joined(separator: ", ")))"
    }

    /// The requeue filter for a state, optionally in one queue.
    public static func stateFilter(withQueue: Bool) -> String {
        withQueue ? "state = ? AND queue = ?" : "state = ?"
    }
}
