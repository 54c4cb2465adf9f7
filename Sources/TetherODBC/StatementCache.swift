/// Prepared statements of one connection by SQL text, least recently used dropped first.
///
/// A statement is marked taken while it runs and put back after, so one handle never serves
/// two executions at once. It stays in the table meanwhile: taking costs one lookup and putting
/// back none, which matters when the same statement runs thousands of times a second.
///
/// A statement that fails is not put back: it is dropped. One that PostgreSQL refuses because
/// DDL changed its result columns since it was prepared (0A000) is prepared again by
/// ``ODBCSession`` and run once more when it runs outside a transaction.
struct StatementCache<Statement: CachedStatement> {
    let capacity: Int
    private var statements: [String: Statement] = [:]
    /// The statement put back last, while the cache holds it: a loop running one statement
    /// finds it with a string comparison (the same literal: one pointer comparison) instead
    /// of hashing its SQL.
    private var last: Statement?
    /// Counts uses; a statement's ``CachedStatement/lastUse`` orders eviction.
    private var clock: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// The statements held, taken or not.
    var count: Int { statements.count }

    /// The statement for `sql` when one is cached and not taken; it is taken until ``put(_:)``.
    mutating func take(_ sql: String) -> Statement? {
        // Not yet: sqliteodbc fixes a statement's columns on its first run; another connection's DDL goes unseen.
        if let last, !last.isTaken, last.sql == sql {
            last.isTaken = true
            return last
        }
        guard let statement = statements[sql], !statement.isTaken else {
            return nil
        }
        statement.isTaken = true
        return statement
    }

    /// Puts back a statement from ``take(_:)``, or caches a newly prepared one.
    ///
    /// - Returns: The statement the cache let go: the one it evicted, or `statement` when not kept.
    @discardableResult
    mutating func put(_ statement: Statement) -> Statement? {
        clock &+= 1
        statement.lastUse = clock
        if statement.isTaken {
            statement.isTaken = false
            // A loop running one statement puts back the one already `last`: storing it again
            // would cost a retain and a release.
            if last !== statement {
                last = statement
            }
            return nil
        }
        guard capacity > 0, statements[statement.sql] == nil else {
            return statement
        }
        let evicted = statements.count >= capacity ? evictLeastRecentlyUsed() : nil
        if let evicted, evicted === last {
            last = nil
        }
        // Every statement held is running (a cache of one, during a retry): not kept.
        guard statements.count < capacity else {
            return statement
        }
        statements[statement.sql] = statement
        last = statement
        return evicted
    }

    /// Forgets a statement from ``take(_:)`` that failed, so the next use prepares it anew.
    mutating func drop(_ statement: Statement) {
        if statement.isTaken, statements[statement.sql] === statement {
            statements.removeValue(forKey: statement.sql)
        }
        if statement === last {
            last = nil
        }
    }

    mutating func removeAll() {
        statements.removeAll()
        last = nil
    }

    /// Forgets every statement that is not running now; returns them.
    mutating func removeIdle() -> [Statement] {
        let idle = statements.values.filter { !$0.isTaken }
        for statement in idle {
            statements.removeValue(forKey: statement.sql)
        }
        if last.map({ !$0.isTaken }) ?? false {
            last = nil
        }
        return idle
    }

    /// Drops the statement used longest ago that is not taken; a scan, paid only when a new
    /// statement arrives at a full cache.
    private mutating func evictLeastRecentlyUsed() -> Statement? {
        let idle = statements.values.filter { !$0.isTaken }
        return idle.min(by: { $0.lastUse < $1.lastUse }).flatMap { statements.removeValue(forKey: $0.sql) }
    }
}

/// What ``StatementCache`` keeps: a prepared statement with the cache's two marks on it.
protocol CachedStatement: AnyObject {
    var sql: String { get }
    /// Whether a session runs it now.
    var isTaken: Bool { get set }
    /// When it last ran, in the cache's count of uses.
    var lastUse: UInt64 { get set }
}
