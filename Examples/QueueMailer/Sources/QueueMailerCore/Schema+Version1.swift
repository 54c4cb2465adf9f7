extension Schema {
    /// Version 1: the request table (the queue) and the result table (the response queue).
    ///
    /// Request states: `ready` (waiting, maybe until `run_at`), `running` (claimed; the lease
    /// says by whom and until when), `done`, `failed`, `unknown` (the relay may or may not have
    /// taken the message: an operator decides) and `cancelled`. `attempt` grows by one per claim
    /// and fences every later write of that claim. Lists, headers and attachments are JSON text.
    @Sendable static func version1(_ dialect: SQLDialect, _ prefix: String) -> [String] {
        let timestamp = dialect.timestampType
        let now = dialect.now
        // Index names carry no prefix: PostgreSQL puts an index in its table's schema.
        return [
            """
            CREATE TABLE \(prefix)mail_request (
                \(dialect.identityColumn),
                idempotency_key TEXT NOT NULL UNIQUE,
                queue TEXT NOT NULL DEFAULT 'default',
                priority INTEGER NOT NULL DEFAULT 0,
                state TEXT NOT NULL DEFAULT 'ready'
                    CHECK (state IN ('ready', 'running', 'done', 'failed', 'unknown', 'cancelled')),
                run_at \(timestamp) NOT NULL DEFAULT (\(now)),
                attempt INTEGER NOT NULL DEFAULT 0,
                max_attempts INTEGER NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
                lease_owner TEXT,
                lease_expires_at \(timestamp),
                last_error TEXT,
                message_id TEXT NOT NULL,
                mail_from TEXT NOT NULL,
                rcpt_to TEXT NOT NULL DEFAULT '[]',
                rcpt_cc TEXT NOT NULL DEFAULT '[]',
                rcpt_bcc TEXT NOT NULL DEFAULT '[]',
                sender_name TEXT,
                reply_to TEXT,
                subject TEXT,
                body_text TEXT,
                body_html TEXT,
                headers TEXT NOT NULL DEFAULT '{}',
                attachments TEXT NOT NULL DEFAULT '[]',
                raw_message TEXT,
                created_at \(timestamp) NOT NULL DEFAULT (\(now)),
                updated_at \(timestamp) NOT NULL DEFAULT (\(now))
            )
            """,
            """
            CREATE INDEX mail_request_ready ON \(prefix)mail_request (queue, priority DESC, run_at, id)
                WHERE state = 'ready'
            """,
            """
            CREATE INDEX mail_request_leases ON \(prefix)mail_request (lease_expires_at)
                WHERE state = 'running'
            """,
            """
            CREATE TABLE \(prefix)mail_result (
                \(dialect.identityColumn),
                request_id BIGINT NOT NULL REFERENCES \(prefix)mail_request (id) ON DELETE CASCADE,
                attempt INTEGER NOT NULL,
                outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'retry', 'failed', 'unknown')),
                smtp_code INTEGER,
                enhanced_code TEXT,
                reply_text TEXT,
                recipients TEXT NOT NULL DEFAULT '[]',
                worker TEXT NOT NULL,
                source TEXT NOT NULL DEFAULT 'worker' CHECK (source IN ('worker', 'reaper')),
                finished_at \(timestamp) NOT NULL DEFAULT (\(now)),
                consumed_at \(timestamp),
                UNIQUE (request_id, attempt)
            )
            """,
            """
            CREATE INDEX mail_result_unconsumed ON \(prefix)mail_result (id) WHERE consumed_at IS NULL
            """,
        ]
    }
}
