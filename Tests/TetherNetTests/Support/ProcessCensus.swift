import Foundation

/// Counts what this process holds, to check that nothing outlives a stream.
///
/// Tests of other suites run in the same process at the same time, so sockets are counted per
/// peer port: the client sockets of this process whose remote port is the test's listener.
enum ProcessCensus {
    /// Client sockets of this process connected (or connecting) to `port` on loopback.
    static func sockets(toPort port: Int) -> Int {
        let inodes = socketInodes(toPort: port)
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return descriptors.filter { name in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)"),
                target.hasPrefix("socket:[")
            else { return false }
            return inodes.contains(String(target.dropFirst(8).dropLast()))
        }.count
    }

    /// Threads of this process.
    static var threads: Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).count
    }

    /// Threads of this process whose name starts with `prefix`.
    static func threads(named prefix: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { readWhole("/proc/self/task/\($0)/comm").hasPrefix(prefix) }.count
    }

    /// Inodes of TCP sockets whose remote port is `port`, from /proc/net/tcp and tcp6.
    private static func socketInodes(toPort port: Int) -> Set<String> {
        var inodes: Set<String> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let text = readWhole(table)
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9, let remotePort = fields[2].split(separator: ":").last,
                    Int(remotePort, radix: 16) == port
                else { continue }
                inodes.insert(String(fields[9]))
            }
        }
        return inodes
    }

    /// Reads a /proc file to its end; they report a size of 0, so read until `read` returns 0.
    private static func readWhole(_ path: String) -> String {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return "" }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while case let count = chunk.withUnsafeMutableBytes({ read(descriptor, $0.baseAddress, $0.count) }), count > 0 {
            bytes += chunk.prefix(count)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
