/// Prepared statements of one connection by SQL text, least recently used dropped first.
///
/// A statement is taken out while it runs and put back after, so one handle never serves two
/// executions at once.
///
/// A statement that fails is not put back. One that PostgreSQL refuses because DDL changed
/// its result columns since it was prepared (0A000) is prepared again by ``ODBCSession`` and
/// run once more when it runs outside a transaction.
struct StatementCache {
    let capacity: Int
    private var statements: [String: StatementHandle] = [:]
    private var order: [String] = []

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    var count: Int { statements.count }

    mutating func take(_ sql: String) -> StatementHandle? {
        guard let statement = statements.removeValue(forKey: sql) else {
            return nil
        }
        order.removeAll { $0 == sql }
        return statement
    }

    mutating func put(_ statement: StatementHandle) {
        guard capacity > 0 else {
            return
        }
        if statements.updateValue(statement, forKey: statement.sql) == nil {
            order.append(statement.sql)
        }
        while order.count > capacity {
            statements.removeValue(forKey: order.removeFirst())
        }
    }

    mutating func removeAll() {
        statements.removeAll()
        order.removeAll()
    }
}
