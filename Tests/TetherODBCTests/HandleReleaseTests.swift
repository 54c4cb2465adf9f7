import CTetherODBC
import Foundation
import Testing

@testable import TetherODBC

@Suite("Connection handles are freed on close, or reported")
struct HandleReleaseTests {
    @Test("the driver manager frees no connected handle (HY010), so a disconnect must come first", .needsSQLite)
    func connectedHandleIsNotFreed() async throws {
        try await Databases.withSQLite { connectString in
            let environment = try ODBCEnvironment.processWide
            var allocated: SQLHDBC? = nil
            #expect(SQLAllocHandle(SQLSMALLINT(SQL_HANDLE_DBC), environment.handle, &allocated) == SQL_SUCCESS)
            let handle = try #require(allocated)
            var text = connectString.rendered.utf8CString.map { SQLCHAR(bitPattern: $0) }
            let connected = SQLDriverConnect(
                handle, nil, &text, SQLSMALLINT(SQL_NTS), nil, 0, nil, SQLUSMALLINT(SQL_DRIVER_NOPROMPT))
            #expect(ctether_SQL_SUCCEEDED(connected) != 0)
            #expect(SQLFreeHandle(SQLSMALLINT(SQL_HANDLE_DBC), handle) == SQL_ERROR)
            var state = [SQLCHAR](repeating: 0, count: 6)
            var native: SQLINTEGER = 0
            var length: SQLSMALLINT = 0
            _ = SQLGetDiagRec(SQLSMALLINT(SQL_HANDLE_DBC), handle, 1, &state, &native, nil, 0, &length)
            #expect(String(decoding: state.prefix(5), as: UTF8.self) == "HY010")
            #expect(ctether_SQL_SUCCEEDED(SQLDisconnect(handle)) != 0)
            #expect(SQLFreeHandle(SQLSMALLINT(SQL_HANDLE_DBC), handle) == SQL_SUCCESS)
        }
    }

    @Test("closing with a manual-commit transaction open rolls back, disconnects and frees the handle", .needsSQLite)
    func sqliteOpenTransaction() async throws {
        let environment = try ODBCEnvironment()
        try await Databases.withSQLite { connectString in
            let connection = try await ODBCConnection.connect(connectString, environment: environment)
            try await connection.withSession { session in
                try session.execute("CREATE TABLE jobs (id INTEGER)")
                try session.setAutocommit(false)
                try session.execute("INSERT INTO jobs VALUES (1)")
            }
            #expect(environment.connectionHandles == 1)
            await connection.close()
            #expect(environment.connectionHandles == 0)
            let rows = try await Databases.with(connectString) { other in
                try await other.withSession { try $0.query("SELECT count(*) FROM jobs")[0].decode(Int.self, at: 0) }
            }
            #expect(rows == 0)
        }
        #expect(environment.connectionHandlesLeftAllocated == 0)
        #expect(environment.lastRefusedRelease == nil)
    }

    @Test("a connection whose backend died inside a manual-commit transaction frees its handle", .needsPostgres)
    func postgresBackendGone() async throws {
        let environment = try ODBCEnvironment()
        let connection = try await ODBCConnection.connect(Databases.postgres(), environment: environment)
        let backend = try await connection.withSession { session in
            try session.setAutocommit(false)
            return try session.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0)
        }
        try await Databases.administer("SELECT pg_terminate_backend(\(backend))")
        #expect(environment.connectionHandles == 1)
        await connection.close()
        #expect(environment.connectionHandles == 0)
        #expect(environment.connectionHandlesLeftAllocated == 0)
    }

    @Test("a login that fails frees the handle it allocated", .needsPostgres)
    func failedLogin() async throws {
        let environment = try ODBCEnvironment()
        await #expect(throws: ODBCError.self) {
            try await ODBCConnection.connect(Databases.postgres(password: "wrong"), environment: environment)
        }
        #expect(environment.connectionHandles == 0)
    }
}
