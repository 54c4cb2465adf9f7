extension QueueSQL {
    /// PostgreSQL: records a whole batch of results and moves their requests out of `running`
    /// in one statement, one round trip, whatever the batch size.
    ///
    /// Each column of the batch is bound as one array parameter (see ``PostgresArrayLiteral``),
    /// so the text never changes and the prepared statement is reused. Both changes commit
    /// together, or neither does. Each result row is written as ``insertResult`` writes it
    /// (replacing only a reaper's row); each state change is fenced by attempt as
    /// ``finishAttempt`` is. Returns one row: how many state changes applied.
    ///
    /// Parameters, one array each, in the order of ``batchColumns``, then the worker name. No
    /// two results of one batch may name the same attempt of the same request.
    public var writeBatchPostgres: String {
        let arrays = Self.batchColumns.map { "CAST(? AS \($0.type)[])" }.joined(separator: ", ")
        let names = Self.batchColumns.map(\.name).joined(separator: ", ")
        return """
            WITH batch AS (
                SELECT * FROM unnest(\(arrays)) AS b (\(names))
            ), written AS (
                INSERT INTO \(schema.resultTable) AS r (request_id, attempt, outcome, smtp_code, enhanced_code,
                    reply_text, recipients, worker, source, finished_at)
                SELECT request_id, attempt, outcome, smtp_code, enhanced_code, reply_text, recipients, ?, 'worker',
                    now()
                FROM batch
                ON CONFLICT (request_id, attempt) DO UPDATE SET outcome = excluded.outcome,
                    smtp_code = excluded.smtp_code, enhanced_code = excluded.enhanced_code,
                    reply_text = excluded.reply_text, recipients = excluded.recipients, worker = excluded.worker,
                    source = 'worker', finished_at = excluded.finished_at
                WHERE r.source = 'reaper'
            ), finished AS (
                UPDATE \(schema.requestTable) AS q SET state = b.next_state,
                    run_at = now() + b.delay_ms * interval '1 millisecond', last_error = b.last_error,
                    max_attempts = q.max_attempts + b.extra_attempts, lease_owner = NULL, lease_expires_at = NULL,
                    updated_at = now()
                FROM batch AS b
                WHERE q.id = b.request_id AND q.attempt = b.attempt AND q.state = 'running'
                RETURNING q.id
            )
            SELECT COUNT(*) FROM finished
            """
    }

    /// The columns of ``writeBatchPostgres``'s batch, with their PostgreSQL types.
    public static let batchColumns: [(name: String, type: String)] = [
        ("request_id", "BIGINT"), ("attempt", "INTEGER"), ("outcome", "TEXT"), ("smtp_code", "INTEGER"),
        ("enhanced_code", "TEXT"), ("reply_text", "TEXT"), ("recipients", "TEXT"), ("next_state", "TEXT"),
        ("delay_ms", "BIGINT"), ("last_error", "TEXT"), ("extra_attempts", "INTEGER"),
    ]
}

/// PostgreSQL array literals (`{1,NULL,3}`, `{"a","b \"c\""}`), to bind a whole column of a
/// batch as one text parameter that the statement casts to an array.
///
/// Every text element is quoted, with `"` and `\` escaped by a backslash, so any text survives
/// (commas, braces, newlines, the word NULL); only a missing value is written as `NULL`. A NUL
/// character, which PostgreSQL text cannot hold and which would cut the parameter short, is
/// written as U+FFFD, so one odd reply cannot stop a whole batch from being written.
public enum PostgresArrayLiteral {
    /// An array of integers; `nil` elements are SQL `NULL`.
    public static func integers(_ values: [Int64?]) -> String {
        "{" + values.map { $0.map(String.init) ?? "NULL" }.joined(separator: ",") + "}"
    }

    /// An array of text; `nil` elements are SQL `NULL`.
    public static func texts(_ values: [String?]) -> String {
        var literal: [UInt8] = [UInt8(ascii: "{")]
        for (index, value) in values.enumerated() {
            if index > 0 { literal.append(UInt8(ascii: ",")) }
            guard let value else {
                literal.append(contentsOf: "NULL".utf8)
                continue
            }
            literal.append(UInt8(ascii: "\""))
            for byte in value.utf8 {
                if byte == 0 {
                    literal.append(contentsOf: "\u{FFFD}".utf8)
                    continue
                }
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { literal.append(UInt8(ascii: "\\")) }
                literal.append(byte)
            }
            literal.append(UInt8(ascii: "\""))
        }
        literal.append(UInt8(ascii: "}"))
        return String(decoding: literal, as: UTF8.self)
    }
}
