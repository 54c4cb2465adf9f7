/// The statements the queue runs, in one dialect, against one set of tables.
///
/// Every time comes from the database (`now()`), so instances whose clocks disagree still
/// agree on leases. Parameters are bound, never spliced in, except the integer ids of a claim
/// the store has just read back.
public struct QueueSQL: Sendable {
    /// The tables.
    public let schema: Schema
    private var dialect: SQLDialect { schema.dialect }
    private var requests: String { schema.requestTable }
    private var results: String { schema.resultTable }

    public init(schema: Schema) {
        self.schema = schema
    }

    /// The request columns a worker needs, in the order ``ClaimedRequest`` reads them.
    public static let claimedColumns = [
        "id", "attempt", "max_attempts", "idempotency_key", "queue", "priority", "message_id", "mail_from",
        "sender_name", "reply_to", "rcpt_to", "rcpt_cc", "rcpt_bcc", "subject", "body_text", "body_html",
        "headers", "attachments", "raw_message",
    ]

    private var claimedList: String { Self.claimedColumns.joined(separator: ", ") }

    /// Inserts one request unless its idempotency key is known; parameters as ``EnqueueRow``.
    public func insertRequest(scheduled: Bool) -> String {
        let runAt = scheduled ? timestampParameter : dialect.now
        return """
            INSERT INTO \(requests) (idempotency_key, queue, priority, run_at, max_attempts, message_id, mail_from,
                sender_name, reply_to, rcpt_to, rcpt_cc, rcpt_bcc, subject, body_text, body_html, headers,
                attachments, raw_message)
            VALUES (?, ?, ?, \(runAt), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (idempotency_key) DO NOTHING
            """
    }

    /// PostgreSQL: claims up to a limit of ready requests in one statement, skipping rows other
    /// instances hold, and says for each which earlier attempt was recorded as sent (see
    /// ``sentAttemptColumn``). Parameters: owner, lease milliseconds, queue, limit.
    public var claimPostgres: String {
        """
        UPDATE \(requests) AS q SET state = 'running', attempt = attempt + 1, lease_owner = ?,
            lease_expires_at = \(dialect.nowPlusMillisecondsParameter), updated_at = now()
        WHERE id IN (
            SELECT id FROM \(requests)
            WHERE queue = ? AND state = 'ready' AND run_at <= now()
            ORDER BY priority DESC, run_at, id
            LIMIT CAST(? AS INTEGER)
            FOR UPDATE SKIP LOCKED)
        RETURNING \(claimedList), \(sentAttemptColumn)
        """
    }

    /// SQLite, inside `BEGIN IMMEDIATE`: the ids to claim. Parameters: queue, limit.
    public var selectClaimableSQLite: String {
        """
        SELECT id FROM \(requests)
        WHERE queue = ? AND state = 'ready' AND run_at <= \(dialect.now)
        ORDER BY priority DESC, run_at, id
        LIMIT ?
        """
    }

    /// SQLite, inside `BEGIN IMMEDIATE`: claims the given ids. Parameters: owner, lease
    /// milliseconds, the ids (``SQLDialect/idList(_:)``).
    public var claimSQLite: String {
        """
        UPDATE \(requests) SET state = 'running', attempt = attempt + 1, lease_owner = ?,
            lease_expires_at = \(dialect.nowPlusMillisecondsParameter), updated_at = \(dialect.now)
        WHERE state = 'ready' AND \(dialect.isOneOf("id"))
        """
    }

    /// Reads the claimed requests back by id, with their owner as a check, and the attempt
    /// already recorded as sent (see ``sentAttemptColumn``). Parameters: owner, the ids.
    public var selectClaimed: String {
        """
        SELECT \(claimedList), \(sentAttemptColumn) FROM \(requests) AS q
        WHERE lease_owner = ? AND state = 'running' AND \(dialect.isOneOf("id"))
        """
    }

    /// The claim's last column: the first attempt of request `q` recorded as sent, or `NULL`, so
    /// a batch's "already sent?" checks cost nothing beyond the claim itself.
    var sentAttemptColumn: String {
        "(SELECT MIN(s.attempt) FROM \(results) AS s WHERE s.request_id = q.id AND s.outcome = 'sent')"
    }

    /// Extends the leases of the given ids that this owner still holds. Parameters: lease
    /// milliseconds, owner, the ids (``SQLDialect/idList(_:)``). Only the ids the owner knows
    /// it holds: a claim whose reply was lost is not renewed, so its lease runs out and the
    /// reaper hands it back.
    public var heartbeat: String {
        """
        UPDATE \(requests) SET lease_expires_at = \(dialect.nowPlusMillisecondsParameter)
        WHERE lease_owner = ? AND state = 'running' AND \(dialect.isOneOf("id"))
        """
    }

    /// Whether any attempt of a request was recorded as sent. Parameter: request id.
    public var sentResultExists: String {
        "SELECT attempt FROM \(results) WHERE request_id = ? AND outcome = 'sent'"
    }

    /// Records one attempt's outcome; replaces a row the reaper wrote for the same attempt (the
    /// worker knows better), never one a worker wrote. Parameters as ``ResultRow``.
    public var insertResult: String {
        """
        INSERT INTO \(results) AS r (request_id, attempt, outcome, smtp_code, enhanced_code, reply_text,
            recipients, worker, source, finished_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'worker', \(dialect.now))
        ON CONFLICT (request_id, attempt) DO UPDATE SET outcome = excluded.outcome,
            smtp_code = excluded.smtp_code, enhanced_code = excluded.enhanced_code,
            reply_text = excluded.reply_text, recipients = excluded.recipients, worker = excluded.worker,
            source = 'worker', finished_at = excluded.finished_at
        WHERE r.source = 'reaper'
        """
    }

    /// Moves a request out of `running`, fenced by its attempt. Parameters: state, delay
    /// milliseconds before it may run again, last error, extra attempts granted, id, attempt.
    public var finishAttempt: String {
        """
        UPDATE \(requests) SET state = ?, run_at = \(dialect.nowPlusMillisecondsParameter),
            last_error = ?, max_attempts = max_attempts + \(integerParameter),
            lease_owner = NULL, lease_expires_at = NULL,
            updated_at = \(dialect.now)
        WHERE id = ? AND attempt = ? AND state = 'running'
        """
    }

    /// Requests whose lease has expired; PostgreSQL skips rows another reaper holds.
    public var selectExpired: String {
        let lock = dialect == .postgresql ? " FOR UPDATE SKIP LOCKED" : ""
        return """
            SELECT id, attempt, max_attempts, lease_owner FROM \(requests)
            WHERE state = 'running' AND lease_expires_at < \(dialect.now)
            ORDER BY id LIMIT 100\(lock)
            """
    }

    /// The reaper's record of a lost attempt; a worker's row for it wins. Parameters: request id,
    /// attempt, reply text, worker.
    public var insertReapedResult: String {
        """
        INSERT INTO \(results) (request_id, attempt, outcome, reply_text, worker, source, finished_at)
        VALUES (?, ?, 'unknown', ?, ?, 'reaper', \(dialect.now))
        ON CONFLICT (request_id, attempt) DO NOTHING
        """
    }

    /// An integer parameter where PostgreSQL could not infer the type.
    var integerParameter: String {
        dialect == .postgresql ? "CAST(? AS INTEGER)" : "?"
    }

    /// A timestamp parameter in the dialect's form (see ``SQLTimestamp``).
    var timestampParameter: String {
        dialect == .postgresql ? "CAST(? AS TIMESTAMPTZ)" : "?"
    }
}
