import Foundation
import TetherNet
import TetherTestKit

@testable import TetherSMTP

/// Helpers for sessions over real loopback TCP against ``ScriptedSMTPServer``.
enum Loopback {
    static func configuration(_ server: ScriptedSMTPServer, timeout: Duration = .seconds(10)) -> SMTPConfiguration {
        var configuration = SMTPConfiguration(host: "127.0.0.1", port: server.port)
        configuration.tls = .none
        configuration.timeouts = .all(timeout)
        return configuration
    }

    /// A TLS configuration that trusts only the scripted server's certificate.
    static func tls(_ identity: ScriptedTLSIdentity) -> TLSConfiguration {
        var tls = TLSConfiguration()
        tls.trustRootsFile = identity.certificateFile
        return tls
    }

    /// How many descriptors this process holds for TCP sockets connected to `port` on
    /// loopback: the client side of sessions with one scripted server, unaffected by tests
    /// running in parallel against other servers. Asks each descriptor for its peer.
    static func clientSockets(toPort port: Int) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.compactMap { Int32($0) }.filter { descriptor in
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &length) == 0 }
            }
            return named && address.sin_family == sa_family_t(AF_INET)
                && Int(UInt16(bigEndian: address.sin_port)) == port
        }.count
    }

    /// Reads a pipelined envelope of `recipients` and accepts it; returns the unstuffed content.
    static func accept(_ peer: ScriptedSMTPPeer, recipients: Int = 1, queueID: String = "Q") async throws -> [UInt8] {
        for _ in 0..<(recipients + 2) { _ = try await peer.readLine() }
        try await peer.send(String(repeating: "250 2.1.0 OK\r\n", count: recipients + 1) + "354 go ahead\r\n")
        let content = try await peer.readData()
        try await peer.send("250 2.0.0 OK queued as \(queueID)\r\n")
        return unstuff(content)
    }

    /// Removes the dot stuffing of DATA lines.
    static func unstuff(_ stuffed: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var atLineStart = true
        for (index, byte) in stuffed.enumerated() {
            let isStuffing = atLineStart && byte == 0x2E && index + 1 < stuffed.count && stuffed[index + 1] == 0x2E
            if !isStuffing { output.append(byte) }
            atLineStart = byte == 0x0A
        }
        return output
    }
}
