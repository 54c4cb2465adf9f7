import Foundation
import Testing
import TetherODBC

@testable import TetherODBC

@Suite("ODBCConnection lifecycle", .needsPostgres)
struct LifecycleTests {
    @Test("the connection's thread is named tether-odbc; closing ends it")
    func closeEndsThread() async throws {
        let connection = try await ODBCConnection.connect(Databases.postgres())
        let thread = connection.threadID
        #expect(thread != 0)
        #expect(threadExists(thread))
        let name = try String(contentsOfFile: "/proc/self/task/\(thread)/comm", encoding: .utf8)
        #expect(name == "tether-odbc\n")
        await connection.close()
        #expect(!threadExists(thread))
        let error = await #expect(throws: ODBCError.self) { try await connection.withSession { _ in 1 } }
        #expect(error?.kind == .connectionClosed)
        await connection.close()
    }

    @Test("closing inside an open transaction rolls it back first")
    func closeRollsBack() async throws {
        let table = "odbc_close_\(UUID().uuidString.prefix(8).lowercased())"
        try await Databases.administer("CREATE TABLE \(table) (i INTEGER)")
        let connection = try await ODBCConnection.connect(Databases.postgres())
        try await connection.withSession { session in
            try session.setAutocommit(false)
            try session.execute("INSERT INTO \(table) VALUES (1)")
            #expect(session.isInTransaction)
        }
        let thread = connection.threadID
        await connection.close()
        #expect(!threadExists(thread))
        let count = try await Databases.with(Databases.postgres()) { other in
            try await other.withSession { try $0.query("SELECT count(*) FROM \(table)")[0].decode(Int.self, at: 0) }
        }
        try await Databases.administer("DROP TABLE \(table)")
        #expect(count == 0)
    }

    @Test(
        "P7: reset rolls back an open, an aborted, and an SQL-level transaction",
        arguments: ["open", "aborted", "begin"])
    func resetRollsBack(state: String) async throws {
        let table = "odbc_reset_\(UUID().uuidString.prefix(8).lowercased())"
        try await Databases.administer("CREATE TABLE \(table) (i INTEGER)")
        try await Databases.with(Databases.postgres()) { connection in
            try await connection.withSession { session in
                try session.openTransaction(state, inserting: table)
                if state == "aborted" {
                    _ = try? session.execute("SELECT * FROM missing_table")
                }
            }
            #expect(await connection.reset())
            let visible = try await connection.withSession { session in
                #expect(session.isAutocommit)
                try session.execute("INSERT INTO \(table) VALUES (2)")
                return try session.query("SELECT i FROM \(table)").map { try $0.decode(Int.self, at: 0) }
            }
            #expect(visible == [2])
        }
        let seenElsewhere = try await Databases.with(Databases.postgres()) { other in
            try await other.withSession {
                try $0.query("SELECT i FROM \(table)").map { try $0.decode(Int.self, at: 0) }
            }
        }
        try await Databases.administer("DROP TABLE \(table)")
        #expect(seenElsewhere == [2])
    }
}
