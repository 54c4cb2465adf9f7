import Foundation
import Glibc
import TetherODBC

/// A PostgreSQL cluster of its own for tests that restart the server, so that other tests
/// using the shared throwaway server are not disturbed. Started and stopped with the
/// project's `scripts/test-servers.sh`, which stops exactly the processes it started.
struct PrivatePostgres {
    let directory: String
    let environment: [String: String]

    /// Runs `body` with a fresh cluster, and stops it afterwards whatever happens.
    static func with<R>(_ body: (PrivatePostgres) async throws -> R) async throws -> R {
        let directory = NSTemporaryDirectory() + "tether-odbc-private-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        do {
            try await run(scripts + "/test-servers.sh", "start", directory)
            let server = PrivatePostgres(directory: directory, environment: try readEnvironment(directory))
            let result = try await body(server)
            try await run(scripts + "/test-servers.sh", "stop", directory)
            return result
        } catch {
            try? await run(scripts + "/test-servers.sh", "stop", directory)
            throw error
        }
    }

    /// The connect string of this cluster as `tether`.
    var connectString: ODBCConnectString {
        get throws { try ODBCConnectString(parsing: environment["TETHER_PG_DSN"] ?? "") }
    }

    /// The last `lines` lines of the cluster's server log, to explain a failure.
    func logTail(_ lines: Int = 30) -> String {
        let text = (try? String(contentsOfFile: directory + "/pg/postgres.log", encoding: .utf8)) ?? "(no server log)"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// `scripts/pg-ctl.sh DIR action mode`, as `TETHER_PG_CTL` names it.
    func control(_ action: String, _ mode: String = "fast") async throws {
        try await Self.run(Self.scripts + "/pg-ctl.sh", directory, action, mode)
    }

    private static var scripts: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts").path
    }

    private static func readEnvironment(_ directory: String) throws -> [String: String] {
        let text = try String(contentsOfFile: directory + "/env", encoding: .utf8)
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst("export ".count)
            guard let equals = pair.firstIndex(of: "=") else {
                continue
            }
            var value = pair[pair.index(after: equals)...]
            if let first = value.first, first == "'" || first == "\"", value.last == first {
                value = value.dropFirst().dropLast()
            }
            values[String(pair[..<equals])] = String(value)
        }
        return values
    }

    /// Runs a program to completion on a thread of its own (waitpid blocks), throwing on a
    /// non-zero exit. Output goes to the test's own output.
    private static func run(_ arguments: String...) async throws {
        let status = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            Thread.detachNewThread {
                continuation.resume(returning: spawnAndWait(arguments))
            }
        }
        guard status == 0 else {
            throw ODBCTestError.setup("\(arguments.joined(separator: " ")) exited with \(status)")
        }
    }

    private static func spawnAndWait(_ arguments: [String]) -> Int32 {
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, arguments[0], nil, nil, &argv, environ) == 0 else {
            return -1
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status >> 8) & 0xff
    }
}
