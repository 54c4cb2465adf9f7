import Foundation
import TetherODBC

/// The queue in a database: claims with leases, fenced result writes, the reaper, and the
/// one-shot commands' queries. Works on PostgreSQL and SQLite through TetherODBC.
///
/// Claims: PostgreSQL claims in one `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)`,
/// so instances never wait on each other's rows; SQLite serialises writers with
/// `BEGIN IMMEDIATE`. A claim also reads which earlier attempt was sent, for the whole batch.
/// Each claim adds one to `attempt`; every later write about the claim says
/// `WHERE attempt = ?`, so a claim that was reaped and claimed again elsewhere cannot change
/// the request any more (its result row is still recorded).
///
/// Results: PostgreSQL writes a whole batch, result rows and state changes, in one statement.
public final class QueueStore: MailQueue {
    /// Where the statements run.
    public let database: any QueueDatabase
    /// The statements.
    public let sql: QueueSQL
    /// The lease owner and worker name of this instance.
    public let owner: String
    /// The queue claimed from.
    public let queueName: String
    /// How long a claim holds a request.
    public let lease: Duration

    public init(database: any QueueDatabase, schema: Schema, owner: String, queueName: String, lease: Duration) {
        self.database = database
        self.sql = QueueSQL(schema: schema)
        self.owner = owner
        self.queueName = queueName
        self.lease = lease
    }

    var dialect: SQLDialect { sql.schema.dialect }
    var isSQLite: Bool { dialect == .sqlite }
    var leaseMilliseconds: ODBCValue { .int(DurationText.milliseconds(of: lease)) }

    public func claim(limit: Int) async throws -> [ClaimedRequest] {
        let (sql, owner, queue, lease, sqlite) = (self.sql, self.owner, queueName, leaseMilliseconds, isSQLite)
        let dialect = self.dialect
        let rows: [ODBCRow]
        if dialect == .postgresql {
            rows = try await database.withSession { session in
                try session.query(sql.claimPostgres, [.text(owner), lease, .text(queue), .int(Int64(limit))])
            }
        } else {
            rows = try await database.withSession { session in
                try session.immediateTransaction(sqlite: sqlite) {
                    let ids = try session.query(sql.selectClaimableSQLite, [.text(queue), .int(Int64(limit))])
                        .map { try $0.decode(Int64.self, at: 0) }
                    guard !ids.isEmpty else { return [] }
                    let idList = ODBCValue.text(dialect.idList(ids))
                    try session.execute(sql.claimSQLite, [.text(owner), lease, idList])
                    return try session.query(sql.selectClaimed, [.text(owner), idList])
                }
            }
        }
        // Hand them to the workers highest priority first, as they were chosen.
        let priority = { (claimed: ClaimedRequest) in (try? claimed.request.get().priority) ?? 0 }
        return try rows.map(Self.claimed).sorted {
            priority($0) != priority($1) ? priority($0) > priority($1) : $0.id < $1.id
        }
    }

    public func heartbeat(holding ids: [Int64]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let (statement, owner, lease) = (sql.heartbeat, self.owner, leaseMilliseconds)
        let idList = ODBCValue.text(dialect.idList(ids))
        return try await database.withSession { session in
            try session.execute(statement, [lease, .text(owner), idList])
        }
    }

    public func sentAttempt(requestID: Int64) async throws -> Int? {
        let sql = self.sql
        return try await database.withSession { session in
            try session.queryFirst(sql.sentResultExists, [.int(requestID)]).map { try $0.decode(Int.self, at: 0) }
        }
    }

    public func write(_ results: [AttemptResult]) async throws -> Int {
        guard !results.isEmpty else { return 0 }
        if dialect == .postgresql, !Self.namesAnAttemptTwice(results) {
            return try await writeBatch(results)
        }
        // Not yet: SQLite writes results row by row, two statements each: 3% of the mailer's CPU there.
        let (sql, owner, sqlite) = (self.sql, self.owner, isSQLite)
        return try await database.withSession { session in
            try session.immediateTransaction(sqlite: sqlite) {
                var applied = 0
                for result in results {
                    try session.execute(sql.insertResult, Self.resultParameters(result, worker: owner))
                    applied += try session.execute(sql.finishAttempt, Self.finishParameters(result))
                }
                return applied
            }
        }
    }

    public func reapExpired() async throws -> Int {
        let (sql, owner, sqlite) = (self.sql, self.owner, isSQLite)
        return try await database.withSession { session in
            try session.immediateTransaction(sqlite: sqlite) {
                var reaped = 0
                for row in try session.query(sql.selectExpired) {
                    let id = try row.decode(Int64.self, at: 0)
                    let attempt = try row.decode(Int.self, at: 1)
                    let maxAttempts = try row.decode(Int.self, at: 2)
                    let previous = (try? row.decode(String.self, at: 3)) ?? "an instance"
                    let text = "the lease of \(previous) expired during attempt \(attempt); the outcome is unknown"
                    try session.execute(
                        sql.insertReapedResult, [.int(id), .int(Int64(attempt)), .text(text), .text(owner)])
                    let state = attempt >= maxAttempts ? "unknown" : "ready"
                    reaped += try session.execute(
                        sql.requeueExpired, [.text(state), .text(text), .int(id), .int(Int64(attempt))])
                }
                return reaped
            }
        }
    }

    public func unfinishedCount() async throws -> Int {
        let (sql, queue) = (self.sql, queueName)
        return try await database.withSession { session in
            try session.queryFirst(sql.unfinishedCount, [.text(queue)])?.decode(Int.self, at: 0) ?? 0
        }
    }
}

extension QueueStore {
    static func claimed(_ row: ODBCRow) throws -> ClaimedRequest {
        var columns = [String: String?](minimumCapacity: QueueSQL.claimedColumns.count)
        for (index, name) in QueueSQL.claimedColumns.enumerated() {
            columns[name] = text(of: row[index])
        }
        let sentAttempt = try row.decode(Int?.self, at: QueueSQL.claimedColumns.count)
        return ClaimedRequest(
            id: try row.decode(Int64.self, at: 0), attempt: try row.decode(Int.self, at: 1),
            maxAttempts: try row.decode(Int.self, at: 2), messageID: (columns["message_id"] ?? nil) ?? "",
            request: ClaimedRequest.decode(columns: columns),
            earlierSend: sentAttempt.map { .sent(attempt: $0) } ?? .notSent)
    }

    /// A column value as text: what the JSON-valued and text columns hold.
    static func text(of value: ODBCValue) -> String? {
        switch value {
        case .null: nil
        case .text(let text): text
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .decimal(let text): text
        case .bytes(let bytes): String(decoding: bytes, as: UTF8.self)
        case .date(let date): date.description
        case .timestamp(let timestamp): timestamp.description
        }
    }

    static func resultParameters(_ result: AttemptResult, worker: String) -> [ODBCValue] {
        [
            .int(result.requestID), .int(Int64(result.attempt)), .text(result.outcome.rawValue),
            .optional(result.smtpCode.map { .int(Int64($0)) }), .optional(result.enhancedCode.map(ODBCValue.text)),
            .text(result.detail), .text(JSONValue.array(result.recipients.map(\.jsonValue)).compactText),
            .text(worker),
        ]
    }

    static func finishParameters(_ result: AttemptResult) -> [ODBCValue] {
        let delay = result.outcome == .retry ? DurationText.milliseconds(of: result.retryAfter) : 0
        return [
            .text(result.nextState), .int(delay), .optional(result.lastError.map(ODBCValue.text)),
            .int(result.released ? 1 : 0), .int(result.requestID), .int(Int64(result.attempt)),
        ]
    }
}

extension ODBCSession {
    /// Runs `body` in a write transaction: `BEGIN IMMEDIATE` on SQLite takes the write lock at
    /// once (waiting out the busy timeout rather than failing on a lock upgrade); elsewhere an
    /// ordinary transaction. Commits when `body` returns, rolls back when it throws.
    func immediateTransaction<R>(sqlite: Bool, _ body: () throws -> R) throws -> R {
        guard sqlite else { return try transaction(body) }
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }
}
