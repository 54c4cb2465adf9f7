import CTetherODBC
import Testing

@testable import TetherODBC

@Suite("ODBCConnection: a cancel that lands as the statement finishes", .needsPostgres)
struct CancelAfterExecuteTests {
    // A repeated SQLCancel may reach psqlODBC just after SQLExecute returned, before the thread
    // marked the statement done: the driver then closes the cursor, and the fetch that follows
    // fails with a function sequence error. Helped by a forced drain, callers saw that HY010.
    @Test("the read after a late cancel fails as cancelled, not as a function sequence error")
    func lateCancel() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            try await connection.withSession { session in
                let core = session.core
                let statement = try core.statement(for: "SELECT 1")
                defer {
                    SQLFreeStmt(statement.handle, SQLUSMALLINT(SQL_CLOSE))
                    core.reuse(statement)
                }
                #expect(SQLExecute(statement.handle) == SQLRETURN(SQL_SUCCESS))
                SQLCancel(statement.handle)
                let uncancelled = #expect(throws: ODBCError.self) {
                    try statement.read(.firstRow, hasResult: true, session: core, secrets: core.secrets)
                }
                #expect(uncancelled?.kind == .other)
                #expect(uncancelled?.sqlState == "HY010")

                SQLFreeStmt(statement.handle, SQLUSMALLINT(SQL_CLOSE))
                #expect(SQLExecute(statement.handle) == SQLRETURN(SQL_SUCCESS))
                SQLCancel(statement.handle)
                core.session!.isCancelled.store(true, ordering: .sequentiallyConsistent)
                let cancelled = #expect(throws: ODBCError.self) {
                    try statement.read(.firstRow, hasResult: true, session: core, secrets: core.secrets)
                }
                #expect(cancelled?.kind == .cancelled)
                #expect(cancelled?.sqlState == "HY010")
            }
            let one = try await connection.withSession { try $0.queryFirst("SELECT 1")?.decode(Int.self, at: 0) }
            #expect(one == 1)
        }
    }
}
