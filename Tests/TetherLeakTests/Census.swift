import Foundation

/// What this process holds, read from /proc, to check that nothing outlives a primitive.
///
/// Other suites run in the same process at the same time, so nothing here counts the whole
/// process: sockets are counted by the port they are connected to, threads by kernel id.
enum Census {
    /// Sockets of this process connected (or connecting) to `port` on loopback.
    static func sockets(toPort port: Int) -> Int {
        let inodes = socketInodes(remotePort: port)
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return descriptors.count { name in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)"),
                target.hasPrefix("socket:[")
            else {
                return false
            }
            return inodes.contains(String(target.dropFirst(8).dropLast()))
        }
    }

    /// Whether the thread with kernel id `id` still runs in this process.
    static func threadIsAlive(_ id: Int32) -> Bool {
        FileManager.default.fileExists(atPath: "/proc/self/task/\(id)")
    }

    /// Threads of this process whose name starts with `prefix`.
    static func threads(named prefix: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.count { task in
            readProc("/proc/self/task/\(task)/comm").hasPrefix(prefix)
        }
    }

    /// Polls `condition` every 10 ms for up to `limit`: a closed socket or an ended thread
    /// leaves /proc a moment after the call that ended it returns.
    static func eventually(within limit: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while !condition() {
            guard ContinuousClock.now < deadline else {
                return false
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Inodes of TCP sockets whose remote port is `port`, from /proc/net/tcp and tcp6.
    private static func socketInodes(remotePort port: Int) -> Set<String> {
        var inodes: Set<String> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let text = readProc(table)
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9, let remote = fields[2].split(separator: ":").last,
                    Int(remote, radix: 16) == port
                else {
                    continue
                }
                inodes.insert(String(fields[9]))
            }
        }
        return inodes
    }

    /// A /proc file read to its end; such files report a size of 0.
    private static func readProc(_ path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return ""
        }
        defer { try? handle.close() }
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }
}

/// Holds an object weakly, to see that nothing (no task, timer or registration) keeps it.
final class WeakReference<Object: AnyObject>: @unchecked Sendable {
    weak var object: Object?

    init(_ object: Object) {
        self.object = object
    }
}
