// Not yet: no Oracle dialect; Oracle users get the DDL in Docs/queue-mailer.md but the mailer cannot run there.

/// The SQL the queue speaks differs a little between databases; this says how.
public enum SQLDialect: String, Sendable, CaseIterable {
    /// PostgreSQL through psqlODBC: several instances may share one database.
    case postgresql
    /// SQLite through the SQLite3 ODBC driver: one instance, the demo and embedded default.
    case sqlite

    /// The dialect of the driver named in `connectString`, or `nil` when the driver is not recognised.
    public static func detect(connectString: String) -> SQLDialect? {
        let driver = (ConnectStringText.value(of: "Driver", in: connectString) ?? "").lowercased()
        if driver.contains("sqlite") { return .sqlite }
        if driver.contains("postgres") || driver.contains("psql") { return .postgresql }
        return nil
    }

    /// The database's current time; timestamps are always the database's, never an instance's clock.
    public var now: String {
        switch self {
        case .postgresql: "now()"
        case .sqlite: "strftime('%Y-%m-%d %H:%M:%f', 'now')"
        }
    }

    /// The database's current time plus a number of milliseconds bound as the next parameter.
    public var nowPlusMillisecondsParameter: String {
        switch self {
        case .postgresql: "(now() + CAST(? AS BIGINT) * interval '1 millisecond')"
        case .sqlite: "strftime('%Y-%m-%d %H:%M:%f', 'now', '+' || (? / 1000.0) || ' seconds')"
        }
    }

    /// `column` is one of the ids bound as the next parameter, written by ``idList(_:)``.
    ///
    /// The ids travel as one parameter so the statement's text stays the same whatever they
    /// are: it is prepared once and stays in the connection's statement cache.
    public func isOneOf(_ column: String) -> String {
        switch self {
        case .postgresql: "\(column) = ANY(CAST(? AS BIGINT[]))"
        case .sqlite: "\(column) IN (SELECT value FROM json_each(?))"
        }
    }

    /// The parameter of ``isOneOf(_:)``: a PostgreSQL array literal or a JSON array.
    public func idList(_ ids: [Int64]) -> String {
        let joined = ids.map(String.init).joined(separator: ",")
        switch self {
        case .postgresql: return "{\(joined)}"
        case .sqlite: return "[\(joined)]"
        }
    }

    /// Seconds from `column` (a timestamp) to the database's current time.
    ///
    /// PostgreSQL's as a difference of epochs: it refuses to subtract an infinite timestamp,
    /// and one run time of `-infinity` written by hand would fail every `status`.
    public func secondsSince(_ column: String) -> String {
        switch self {
        case .postgresql: "(EXTRACT(EPOCH FROM now()) - EXTRACT(EPOCH FROM \(column)))"
        case .sqlite: "((julianday('now') - julianday(\(column))) * 86400.0)"
        }
    }

    /// The column type of a timestamp.
    var timestampType: String {
        switch self {
        case .postgresql: "TIMESTAMPTZ"
        case .sqlite: "TEXT"
        }
    }

    /// The column definition of a generated primary key.
    var identityColumn: String {
        switch self {
        case .postgresql: "id BIGSERIAL PRIMARY KEY"
        case .sqlite: "id INTEGER PRIMARY KEY AUTOINCREMENT"
        }
    }
}
