import Foundation
import Testing
import TetherODBC

@Suite("ODBCConnection: a backend terminated under an open connection", .needsPostgres)
struct LostConnectionKindTests {
    // With autocommit off psqlODBC opens a savepoint before each statement; on a connection
    // whose backend is gone that fails first, as HY000 "internal SAVEPOINT failed", which says
    // nothing of the connection. The driver knows it is dead, and the error says so now.
    @Test(
        "the next statement fails as connection lost, whatever the transaction mode",
        arguments: ["autocommit", "manual", "begin", "manual with parameters"])
    func lostInEveryMode(mode: String) async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let pid = try await connection.withSession { session in
                if mode.hasPrefix("manual") {
                    try session.setAutocommit(false)
                } else if mode == "begin" {
                    try session.execute("BEGIN")
                }
                try session.execute("SELECT 1")
                return try session.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0)
            }
            try await Databases.administer("SELECT pg_terminate_backend(\(pid))")
            let error = await #expect(throws: ODBCError.self) {
                try await connection.withSession { session in
                    if mode.hasSuffix("parameters") {
                        try session.execute("SELECT CAST(? AS INTEGER)", [.int(1)])
                    } else {
                        try session.execute("SELECT 2")
                    }
                }
            }
            #expect(error?.kind == .connectionLost, "\(String(describing: error))")
        }
    }

    @Test("an SQL error on a live connection stays what it is")
    func liveConnectionError() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let error = await #expect(throws: ODBCError.self) {
                try await connection.withSession { session in
                    try session.setAutocommit(false)
                    try session.execute("SELECT * FROM no_such_table_here")
                }
            }
            #expect(error?.kind == .other)
            #expect(error?.sqlState == "42P01")
        }
    }
}
