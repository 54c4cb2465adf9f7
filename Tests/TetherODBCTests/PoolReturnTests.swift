import Testing
import TetherODBC
import TetherPool

/// What the pool does with a connection its borrower leaves unfit: asked through `isClean`
/// before any reset, which must not let a closed connection pass.
@Suite("ODBC connections returned to a pool", .needsSQLite)
struct PoolReturnTests {
    @Test("P7: a connection its borrower closed is not kept, and the next borrower gets a fresh one")
    func closedConnectionIsNotKept() async throws {
        try await Databases.withSQLite { connectString in
            let configuration = PoolConfiguration.testing.with { $0.maximumConnections = 1 }
            try await withPool(connectString, configuration: configuration) { pool in
                try await pool.withConnection { connection in
                    await connection.close()
                    #expect(!connection.isClean)
                }
                let rows = try await pool.withConnection { connection in
                    try await connection.withSession { try $0.query("SELECT 1").count }
                }
                #expect(rows == 1)
                #expect(pool.counters.closed[.resetFailed] == 1, "discarded on return")
                #expect(pool.counters.closed[.broken] == nil, "never lent again to fail")
                #expect(pool.counters.created == 2)
            }
        }
    }
}
