import Foundation
import Glibc

/// Starts programs with `posix_spawn` and waits for them with `waitpid`, with output going to a
/// file: Foundation's `Process` waits for inherited descriptors, which database daemons keep.
enum ChildProcess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts `path` with `arguments`; output goes to `log`. Returns the process id.
    static func spawn(_ path: String, _ arguments: [String], environment: [String: String]? = nil, log: String) throws
        -> pid_t
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in env { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, nil, argv, env)
        guard result == 0 else { throw Failure(description: "posix_spawn \(path) failed: \(result)") }
        return pid
    }

    /// Waits for `pid` on a thread of its own and returns its exit status (128 + signal if killed).
    static func wait(_ pid: pid_t) async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                let exited = status & 0x7F == 0
                continuation.resume(returning: exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F))
            }
        }
    }

    /// Runs `body` with the child `pid`; if `body` throws, kills the child and reaps it, so a
    /// failed test leaves no program of its own running.
    static func killing<R>(_ pid: pid_t, _ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch {
            kill(pid, SIGKILL)
            _ = await wait(pid)
            throw error
        }
    }

    /// Runs `path` to completion and returns its exit status.
    static func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil, log: String)
        async throws -> Int32
    {
        await wait(try spawn(path, arguments, environment: environment, log: log))
    }

    /// The repository's root, found from this file.
    static let repositoryRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL
            .path
    }()
}

/// A PostgreSQL cluster of a test's own, started with scripts/test-servers.sh, for cases that
/// stop or restart the database without disturbing other tests' shared cluster.
struct PrivateServers {
    let directory: String
    let environment: [String: String]

    /// Runs `body` with servers of its own, stopped afterwards whether `body` throws or not.
    static func with(_ body: (PrivateServers) async throws -> Void) async throws {
        let servers = try await start()
        do {
            try await body(servers)
        } catch {
            await servers.stop()
            throw error
        }
        await servers.stop()
    }

    static func start() async throws -> PrivateServers {
        let directory = "/tmp/queue-mailer-servers-" + UUID().uuidString.prefix(8)
        let script = ChildProcess.repositoryRoot + "/scripts/test-servers.sh"
        let status = try await ChildProcess.run("/bin/bash", [script, "start", directory], log: directory + ".log")
        guard status == 0 else {
            throw ChildProcess.Failure(description: "test-servers.sh start failed; see \(directory).log")
        }
        let text = try String(contentsOfFile: directory + "/env", encoding: .utf8)
        var environment: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst("export ".count)
            guard let equals = pair.firstIndex(of: "=") else { continue }
            var value = String(pair[pair.index(after: equals)...])
            if value.hasPrefix("'") || value.hasPrefix("\"") { value = String(value.dropFirst().dropLast()) }
            environment[String(pair[..<equals])] = value
        }
        return PrivateServers(directory: directory, environment: environment)
    }

    /// `pg-ctl.sh` on this cluster: `stop`, `start` or `restart`.
    func postgres(_ action: String) async throws {
        let script = ChildProcess.repositoryRoot + "/scripts/pg-ctl.sh"
        let status = try await ChildProcess.run(
            "/bin/bash", [script, directory, action, "fast"], log: directory + ".log")
        guard status == 0 else { throw ChildProcess.Failure(description: "pg-ctl.sh \(action) failed") }
    }

    func stop() async {
        let script = ChildProcess.repositoryRoot + "/scripts/test-servers.sh"
        _ = try? await ChildProcess.run("/bin/bash", [script, "stop", directory], log: directory + ".log")
        try? FileManager.default.removeItem(atPath: directory + ".log")
    }
}
