import Foundation
import Testing
import TetherNet

@testable import TetherSMTP

/// Postfix's smtp-sink, started by the test itself when `make test` (or
/// `Benchmarks/SMTPPeer/unpack-postfix.sh`) has unpacked it under Benchmarks/.out.
@Suite("Interop with Postfix smtp-sink")
struct SinkInteropTests {
    static let postfix = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Benchmarks/.out/postfix").path
    static let sink = postfix + "/usr/sbin/smtp-sink"
    static let isPresent = FileManager.default.isExecutableFile(atPath: sink)

    /// Starts smtp-sink on a free loopback port; the caller terminates the process.
    static func startSink() async throws -> (Process, Int) {
        let probe = try ScriptedPort()
        let port = probe.port
        probe.close()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sink)
        process.arguments = (getuid() == 0 ? ["-u", "nobody"] : []) + ["-4", "127.0.0.1:\(port)", "64"]
        process.environment = ["LD_LIBRARY_PATH": postfix + "/usr/lib/postfix"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 {
            if let stream = try? await TCPStream.connect(host: "127.0.0.1", port: port, deadline: .now + .seconds(1)) {
                stream.close()
                return (process, port)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        stop(process)
        throw SMTPError.invalid("smtp-sink", "did not start listening on port \(port)")
    }

    /// A sink started and a connection to it, on the third try at most: under the load of a
    /// full test run a freshly started sink has once reset the first connection at its
    /// greeting. What the test checks comes after the greeting, on a sink that answered.
    static func connectToSink(_ configure: (Int) -> SMTPConfiguration) async throws -> (Process, SMTPConnection) {
        var lastError: (any Error)?
        for _ in 0..<3 {
            let (process, port) = try await startSink()
            do {
                return (process, try await SMTPConnection.connect(configure(port)))
            } catch {
                stop(process)
                lastError = error
            }
        }
        throw lastError ?? SMTPError.invalid("smtp-sink", "no connection")
    }

    /// Stops the sink we started, by its process id. SIGKILL, because a child of the test
    /// process may inherit a signal mask that blocks SIGTERM.
    static func stop(_ process: Process) {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    @Test(
        "sends a pipelined batch and single messages to smtp-sink",
        .enabled(if: isPresent, "smtp-sink is not unpacked: run Benchmarks/SMTPPeer/unpack-postfix.sh or make test"))
    func pipelinedBatch() async throws {
        let (process, connection) = try await Self.connectToSink { port in
            var configuration = SMTPConfiguration(host: "127.0.0.1", port: port)
            configuration.tls = .none
            configuration.maximumMessagesPerConnection = 1000
            return configuration
        }
        defer { Self.stop(process) }
        #expect(connection.capabilities.pipelining)
        let message = try OutgoingMessage(try InteropTests.awkwardEmail(to: ["a@tether.test", "b@tether.test"]))
        let results = await connection.send(batch: Array(repeating: message, count: 200))
        #expect(results.allSatisfy { (try? $0.get().accepted.count) == 2 })
        #expect(try await connection.send(message).accepted.count == 2)
        await connection.quit()
    }
}

/// A free loopback port, found by binding to port 0.
struct ScriptedPort {
    let descriptor: Int32
    let port: Int

    init() throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let descriptor = self.descriptor
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw SMTPError.invalid("port", "no free loopback port") }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(descriptor) }
}
