/// The queue's tables, and the numbered migrations that create and change them.
///
/// `queue-mailer migrate` applies, in order and each in its own transaction, every migration
/// newer than the version recorded in `mail_schema_version`. A binary refuses to work on a
/// schema newer than it knows. The Oracle DDL is in Docs/queue-mailer.md.
public struct Schema: Sendable {
    /// One numbered step of the schema's history.
    public struct Migration: Sendable {
        /// The version the schema has after this step.
        public let version: Int
        /// What the step does, recorded with it.
        public let summary: String
        /// The statements, for a dialect and a table-name prefix.
        let statements: @Sendable (SQLDialect, String) -> [String]

        /// The statements this step runs on `dialect`.
        public func sql(for dialect: SQLDialect, prefix: String = "") -> [String] {
            statements(dialect, prefix)
        }
    }

    /// The dialect the tables are created in.
    public let dialect: SQLDialect
    /// A schema name and dot (`mailer_a.`) put before every table name, or empty.
    public let prefix: String

    /// The schema for `dialect`; in PostgreSQL the tables may live in the schema `namespace`.
    public init(dialect: SQLDialect, namespace: String? = nil) {
        self.dialect = dialect
        self.prefix = namespace.map { $0 + "." } ?? ""
    }

    /// The request table, the queue itself.
    public var requestTable: String { prefix + "mail_request" }
    /// The result table, one row per attempt: the response queue.
    public var resultTable: String { prefix + "mail_result" }
    /// The table recording applied migrations.
    public var versionTable: String { prefix + "mail_schema_version" }

    /// The newest version this binary knows.
    public static var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Every migration, oldest first.
    public static let migrations: [Migration] = [
        Migration(version: 1, summary: "request and result tables", statements: version1)
    ]

    /// Creates the version table if it is missing; safe to run every time.
    public var versionTableDDL: String {
        """
        CREATE TABLE IF NOT EXISTS \(versionTable) (
            version INTEGER PRIMARY KEY,
            summary TEXT NOT NULL,
            applied_at \(dialect.timestampType) NOT NULL DEFAULT (\(dialect.now))
        )
        """
    }

    /// Whether `name` may be used as a PostgreSQL schema for the tables: lower case, digits, underscores.
    public static func isValidNamespace(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63 else { return false }
        let allowed = { (scalar: Unicode.Scalar) in
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_"
        }
        return !("0"..."9").contains(first) && name.unicodeScalars.allSatisfy(allowed)
    }
}
