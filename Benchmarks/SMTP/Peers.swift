import Foundation

/// Postfix's smtp-sink and smtp-source, run from the unpacked Debian package.
struct Postfix {
    let root: String

    var sink: String { root + "/usr/sbin/smtp-sink" }
    var source: String { root + "/usr/sbin/smtp-source" }

    /// `LD_LIBRARY_PATH` for the package's own shared libraries.
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["LD_LIBRARY_PATH"] = root + "/usr/lib/postfix"
        return environment
    }

    /// Starts smtp-sink on 127.0.0.1:`port`; the caller stops it with `terminate()`.
    func startSink(port: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sink)
        var arguments = ["-4"]
        if getuid() == 0 { arguments += ["-u", "nobody"] }
        process.arguments = arguments + ["127.0.0.1:\(port)", "1024"]
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs smtp-source: `messages` messages of `size` bytes over `sessions` connections,
    /// each reused for the next message (`-d`). Returns the wall time.
    func runSource(port: Int, messages: Int, sessions: Int, size: Int) throws -> Duration {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: source)
        process.arguments = [
            "-4", "-d", "-s", "\(sessions)", "-m", "\(messages)", "-l", "\(size)", "-f", "bench@tether.test",
            "-t", "sink@tether.test", "127.0.0.1:\(port)",
        ]
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        process.waitUntilExit()
        let elapsed = ContinuousClock.now - start
        guard process.terminationStatus == 0 else {
            throw BenchmarkFailure("smtp-source exited with status \(process.terminationStatus)")
        }
        return elapsed
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A free loopback port: bind to 0, read it back, close.
func freePort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
        }
    }
    guard ok else { throw BenchmarkFailure("no free loopback port") }
    return Int(UInt16(bigEndian: address.sin_port))
}
