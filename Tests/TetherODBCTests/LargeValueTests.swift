import Testing
import TetherODBC

/// Values far larger than one `SQLGetData` piece come back whole, in text and in bytes, with
/// multi-byte characters across every piece boundary. The rest of a value is fetched in one
/// call once its size is known, which keeps a multi-megabyte body from costing quadratic time
/// in drivers that convert the whole value on every call.
@Suite("Large values")
struct LargeValueTests {
    /// About 3 MiB of UTF-8 text mixing one-, two-, three- and four-byte characters.
    static let text = String(repeating: "a\u{e9}\u{20ac}\u{1F600}line\n", count: 200_000)
    static let bytes = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    static func roundTrip(_ connection: ODBCConnection, create: String) async throws {
        let (text, bytes) = try await connection.withSession { session in
            try session.execute(create)
            try session.execute("INSERT INTO large_values VALUES (?, ?)", [.text(Self.text), .bytes(Self.bytes)])
            let row = try session.query("SELECT t, b FROM large_values")[0]
            return (try row.decode(String.self, at: 0), try row.decode([UInt8].self, at: 1))
        }
        #expect(text == Self.text)
        #expect(bytes == Self.bytes)
    }

    @Test("a 3 MiB text and a 3 MB blob come back whole from SQLite", .needsSQLite)
    func sqlite() async throws {
        try await Databases.withSQLite { connectString in
            try await Databases.with(connectString) { connection in
                try await Self.roundTrip(connection, create: "CREATE TABLE large_values (t TEXT, b BLOB)")
            }
        }
    }

    @Test("a 3 MiB text and a 3 MB bytea come back whole from PostgreSQL", .needsPostgres)
    func postgres() async throws {
        try await Databases.with(try Databases.postgres()) { connection in
            // A temporary table: other suites share this database.
            try await Self.roundTrip(connection, create: "CREATE TEMPORARY TABLE large_values (t TEXT, b BYTEA)")
        }
    }
}
