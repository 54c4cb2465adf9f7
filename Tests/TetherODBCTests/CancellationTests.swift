import Foundation
import Glibc
import Synchronization
import Testing
import TetherODBC

@Suite("ODBCConnection cancellation and timeouts", .needsPostgres)
struct CancellationTests {
    @Test("cancelling the calling task stops a running statement with SQLCancel; the connection stays usable")
    func cancelStopsStatement() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let started = ContinuousClock.now
            let sleeper = Task {
                try await connection.withSession { session in
                    try session.execute("SELECT 'started'")
                    try session.execute("SELECT pg_sleep(30)")
                }
            }
            try await Databases.waitUntilRunning("pg_sleep(30)")
            sleeper.cancel()
            let error = await #expect(throws: ODBCError.self) { try await sleeper.value }
            #expect(error?.kind == .cancelled)
            #expect(ContinuousClock.now - started < .seconds(10))
            let one = try await connection.withSession { try $0.query("SELECT 1")[0].decode(Int.self, at: 0) }
            #expect(one == 1)
        }
    }

    @Test("a session cancelled inside an SQL-level transaction is still rolled back by reset")
    func cancelledInsideTransaction() async throws {
        let table = "odbc_cancel_\(UUID().uuidString.prefix(8).lowercased())"
        try await Databases.administer("CREATE TABLE \(table) (i INTEGER)")
        try await Databases.with(Databases.postgres()) { connection in
            let sleeper = Task {
                try await connection.withSession { session in
                    try session.execute("BEGIN")
                    try session.execute("INSERT INTO \(table) VALUES (1)")
                    try session.execute("SELECT pg_sleep(30)")
                }
            }
            try await Databases.waitUntilRunning("pg_sleep(30)")
            sleeper.cancel()
            _ = await sleeper.result
            #expect(await connection.reset())
            let open = try await connection.withSession { $0.isInTransaction }
            #expect(!open)
        }
        let rows = try await Databases.with(Databases.postgres()) { other in
            try await other.withSession { try $0.query("SELECT i FROM \(table)").count }
        }
        try await Databases.administer("DROP TABLE \(table)")
        #expect(rows == 0)
    }

    @Test("a session cancelled before it starts runs nothing")
    func cancelledBeforeStart() async throws {
        try await Databases.with(Databases.postgres()) { connection in
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await connection.withSession { _ in "ran" }
            }
            let error = await #expect(throws: ODBCError.self) { try await task.value }
            #expect(error?.kind == .cancelled)
        }
    }

    @Test("the query timeout ends a long statement as timed out")
    func queryTimeout() async throws {
        var configuration = ODBCConnection.Configuration()
        configuration.queryTimeout = .seconds(1)
        try await Databases.with(Databases.postgres(), configuration: configuration) { connection in
            let started = ContinuousClock.now
            let error = await #expect(throws: ODBCError.self) {
                try await connection.withSession { try $0.execute("SELECT pg_sleep(20)") }
            }
            #expect(error?.kind == .timedOut)
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test("P4: the login timeout covers a server that accepts and never answers")
    func loginTimeout() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        var connectString = try Databases.postgres()
        connectString["Port"] = String(listener.port)
        var configuration = ODBCConnection.Configuration()
        configuration.loginTimeout = .seconds(2)
        let started = ContinuousClock.now
        let error = await #expect(throws: ODBCError.self) {
            try await ODBCConnection.connect(connectString, configuration: configuration)
        }
        let elapsed = ContinuousClock.now - started
        #expect(error?.sqlState?.hasPrefix("08") == true || error?.kind == .timedOut)
        #expect(elapsed >= .seconds(1) && elapsed < .seconds(8))
    }
}

/// A loopback listener that completes TCP handshakes (the kernel does) and never reads or
/// answers, like a hung server; with `listening: false`, a bound port that refuses connections.
final class SilentListener: Sendable {
    let descriptor: Int32
    let port: Int
    private let closed = Atomic<Bool>(false)

    init(listening: Bool = true) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, !listening || listen(descriptor, 16) == 0 else {
            throw ODBCTestError.setup("cannot listen on 127.0.0.1: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Closes the socket once: connections waiting to be accepted are reset, so a login stuck
    /// on one ends at once. A second close would close whatever took the descriptor's number.
    func close() {
        if !closed.exchange(true, ordering: .relaxed) {
            _ = Glibc.close(descriptor)
        }
    }
}

enum ODBCTestError: Error {
    case setup(String)
}
