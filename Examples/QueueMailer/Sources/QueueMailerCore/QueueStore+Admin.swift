import Foundation
import TetherODBC
import TetherPool

extension QueueStore {
    /// Brings the schema to ``Schema/latestVersion``, one migration per transaction.
    ///
    /// Safe to run from several instances at once: each migration re-reads the version under
    /// a lock (PostgreSQL `LOCK TABLE`, SQLite `BEGIN IMMEDIATE`) before applying.
    ///
    /// - Returns: the version before and after.
    /// - Throws: ``MailerError`` of kind `schema` when the database is newer than this binary.
    public func migrate() async throws -> (from: Int, to: Int) {
        let (schema, sqlite) = (sql.schema, isSQLite)
        return try await database.withSession { session in
            if schema.dialect == .postgresql, !schema.prefix.isEmpty {
                try session.execute("CREATE SCHEMA IF NOT EXISTS \(schema.prefix.dropLast())")
            }
            try session.execute(schema.versionTableDDL)
            let before = try Self.version(session, schema)
            guard before <= Schema.latestVersion else { throw Self.tooNew(before) }
            for migration in Schema.migrations where migration.version > before {
                try session.immediateTransaction(sqlite: sqlite) {
                    if schema.dialect == .postgresql {
                        try session.execute("LOCK TABLE \(schema.versionTable) IN EXCLUSIVE MODE")
                    }
                    guard try Self.version(session, schema) < migration.version else { return }
                    for statement in migration.sql(for: schema.dialect, prefix: schema.prefix) {
                        try session.execute(statement)
                    }
                    try session.execute(
                        "INSERT INTO \(schema.versionTable) (version, summary) VALUES (?, ?)",
                        [.int(Int64(migration.version)), .text(migration.summary)])
                }
            }
            return (before, try Self.version(session, schema))
        }
    }

    /// Fails unless the schema is exactly the version this binary knows.
    ///
    /// - Throws: ``MailerError`` of kind `schema` saying to run `migrate`, or that the binary is
    ///   old; of kind `database` when no connection could be made or it broke during the check
    ///   (exit 69, as for the database's own errors, not an unexpected failure); of kind
    ///   `configuration` when the ODBC driver cannot be loaded (exit 78).
    public func requireCurrentSchema() async throws {
        let schema = sql.schema
        let version: Int
        do {
            version = try await database.withSession { session in
                // Not yet: creates the empty version table on a fresh PostgreSQL database even for `status`.
                try session.execute(schema.versionTableDDL)
                return try Self.version(session, schema)
            }
        } catch let error as ConnectionPoolError where Self.unreachable.contains(error.code) {
            throw DatabaseProblem.error(error)
        }
        if version > Schema.latestVersion { throw Self.tooNew(version) }
        if version < Schema.latestVersion {
            throw MailerError(
                .schema,
                "the schema is at version \(version), this binary needs \(Schema.latestVersion): "
                    + "run `queue-mailer migrate`")
        }
    }

    /// The pool's failures that mean the database could not be reached.
    static let unreachable: Set<ConnectionPoolError.Code> = [.connectFailed, .acquireTimeout, .outcomeUnknown]

    /// Stores `requests` in one transaction; a known idempotency key is skipped.
    ///
    /// - Returns: for each request, `true` when stored, `false` when its key was already queued.
    public func enqueue(_ requests: [SendRequest], defaultMaxAttempts: Int) async throws -> [Bool] {
        let (sql, sqlite, dialect) = (self.sql, isSQLite, self.dialect)
        return try await database.withSession { session in
            try session.immediateTransaction(sqlite: sqlite) {
                try requests.map { request in
                    let statement = sql.insertRequest(scheduled: request.sendAt != nil)
                    let parameters = Self.insertParameters(
                        request, dialect: dialect, defaultMaxAttempts: defaultMaxAttempts)
                    return try session.execute(statement, parameters) == 1
                }
            }
        }
    }

    static func insertParameters(_ request: SendRequest, dialect: SQLDialect, defaultMaxAttempts: Int) -> [ODBCValue] {
        let text = { (value: String?) in ODBCValue.optional(value.map(ODBCValue.text)) }
        var parameters: [ODBCValue] = [
            .text(request.idempotencyKey), .text(request.queue), .int(Int64(request.priority)),
        ]
        if let sendAt = request.sendAt { parameters.append(.text(SQLTimestamp.text(sendAt, dialect: dialect))) }
        let messageID = request.messageID ?? SendRequest.makeMessageID(for: request.from)
        parameters += [
            .int(Int64(request.maxAttempts ?? defaultMaxAttempts)), .text(messageID), .text(request.from.address),
            text(request.from.name), text(request.replyTo.map { SendRequest.json($0).compactText }),
            .text(SendRequest.json(request.to).compactText), .text(SendRequest.json(request.cc).compactText),
            .text(SendRequest.json(request.bcc).compactText), text(request.subject), text(request.text),
            text(request.html), .text(request.headersJSON.compactText), .text(request.attachmentsJSON.compactText),
            text(request.raw),
        ]
        return parameters
    }

    static func version(_ session: ODBCSession, _ schema: Schema) throws -> Int {
        let rows = try session.query("SELECT MAX(version) FROM \(schema.versionTable)")
        return try rows.first?.decode(Int?.self, at: 0) ?? 0
    }

    static func tooNew(_ version: Int) -> MailerError {
        MailerError(
            .schema,
            "the schema is at version \(version), newer than this binary knows (\(Schema.latestVersion)); "
                + "upgrade queue-mailer")
    }
}

/// Timestamps as each dialect takes them as text parameters.
enum SQLTimestamp {
    /// `date` in UTC: ISO 8601 for PostgreSQL, `YYYY-MM-DD HH:MM:SS.SSS` for SQLite (which
    /// compares timestamps as text, so the form must match `strftime`'s).
    static func text(_ date: Date, dialect: SQLDialect) -> String {
        let iso = date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        guard dialect == .sqlite else { return iso }
        return String(iso.replacingOccurrences(of: "T", with: " ").dropLast())
    }
}
