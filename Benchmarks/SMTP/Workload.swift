import Foundation
import TetherSMTP
import TetherTestKit

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// Sends `messages` over `connections` connections at once; returns the wall time.
func sendOurs(port: Int, messages: Int, connections: Int, size: Int) async throws -> Duration {
    let message = try SampleMessages.outgoing(size: size)
    var configuration = SMTPConfiguration(host: "127.0.0.1", port: port)
    configuration.tls = .none
    configuration.maximumMessagesPerConnection = messages
    configuration.idleCheckInterval = .seconds(3600)
    let settings = configuration
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for index in 0..<connections {
            let share = messages / connections + (index < messages % connections ? 1 : 0)
            group.addTask {
                let connection = try await SMTPConnection.connect(settings)
                var remaining = share
                while remaining > 0 {
                    let batch = [OutgoingMessage](repeating: message, count: min(remaining, 100))
                    for result in await connection.send(batch: batch) { _ = try result.get() }
                    remaining -= batch.count
                }
                await connection.quit()
            }
        }
        try await group.waitForAll()
    }
    return ContinuousClock.now - start
}

/// Waits until something accepts connections on `port`.
func waitUntilListening(port: Int) async throws {
    for _ in 0..<100 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        close(descriptor)
        if connected { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw BenchmarkFailure("smtp-sink did not start on port \(port)")
}
