import QueueMailerCore
import Testing

@Suite("Schema")
struct SchemaTests {
    @Test("migrations are numbered 1, 2, ... without gaps")
    func numbering() {
        #expect(Schema.migrations.map(\.version) == Array(1...Schema.latestVersion))
    }

    @Test("PostgreSQL uses timestamptz and now(); SQLite text timestamps and strftime")
    func dialects() {
        let postgres = Schema.migrations[0].sql(for: .postgresql).joined(separator: "\n")
        #expect(postgres.contains("lease_expires_at TIMESTAMPTZ"))
        #expect(postgres.contains("BIGSERIAL PRIMARY KEY"))
        #expect(!postgres.contains("strftime"))
        let sqlite = Schema.migrations[0].sql(for: .sqlite).joined(separator: "\n")
        #expect(sqlite.contains("AUTOINCREMENT"))
        #expect(sqlite.contains("strftime('%Y-%m-%d %H:%M:%f', 'now')"))
        #expect(!sqlite.contains("TIMESTAMPTZ"))
    }

    @Test("tables may live in a PostgreSQL schema; index names stay unqualified")
    func namespace() {
        let schema = Schema(dialect: .postgresql, namespace: "mailer_a")
        #expect(schema.requestTable == "mailer_a.mail_request")
        let sql = Schema.migrations[0].sql(for: .postgresql, prefix: "mailer_a.").joined(separator: "\n")
        #expect(sql.contains("CREATE TABLE mailer_a.mail_result"))
        #expect(sql.contains("CREATE INDEX mail_request_ready ON mailer_a.mail_request"))
        #expect(sql.contains("REFERENCES mailer_a.mail_request (id)"))
    }

    @Test(
        "schema names are plain identifiers",
        arguments: [("mailer_a", true), ("a1", true), ("1a", false), ("A", false), ("x;drop", false), ("", false)])
    func namespaceNames(name: String, valid: Bool) {
        #expect(Schema.isValidNamespace(name) == valid)
    }

    @Test("the dialect is detected from the driver")
    func detect() {
        #expect(SQLDialect.detect(connectString: "Driver=SQLite3;Database=x.db;") == .sqlite)
        #expect(SQLDialect.detect(connectString: "Driver={PostgreSQL Unicode};Server=h;") == .postgresql)
        #expect(SQLDialect.detect(connectString: "DSN=mine;") == nil)
    }
}
