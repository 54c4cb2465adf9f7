import Foundation
import Testing
import TetherTestKit

@testable import TetherNet

extension TetherNetSuites {
    @Suite("Idle connections")
    struct IdleConnectionsTests {
        @Test("a thousand idle connections cost descriptors, not threads")
        func thousandIdle() async throws {
            let listener = try Servers.silent()
            defer { listener.close() }
            let warmUp = try await TCPStream.connect(
                host: listener.host, port: listener.port, deadline: .inMilliseconds(5000))
            warmUp.close()
            let threadsBefore = ProcessCensus.threads
            var streams: [TCPStream] = []
            for _ in 0..<1000 {
                streams.append(
                    try await TCPStream.connect(
                        host: listener.host, port: listener.port, deadline: .inMilliseconds(5000))
                )
            }
            // Every stream waits for a read, the way an idle pooled connection waits for its server.
            let readers = streams.map { stream in
                Task { try? await stream.read(maximumCount: 1, deadline: .inMilliseconds(60_000)) }
            }
            try await Task.sleep(for: .milliseconds(100))
            let threadsOpen = ProcessCensus.threads
            #expect(ProcessCensus.sockets(toPort: listener.port) == 1000)
            streams.forEach { $0.close() }
            for reader in readers { _ = await reader.value }
            // Other test targets run in this process at the same time, so the total is checked loosely
            // (a thread per connection would add a thousand); the benchmark checks the bound of 16 in a
            // process of its own.
            #expect(
                threadsOpen - threadsBefore < 100, "threads: \(threadsBefore) before, \(threadsOpen) with 1000 open")
            // One event loop thread, nothing per connection (resolver threads come and go with lookups).
            #expect(ProcessCensus.threads(named: "tether-net-loop") == 1)
            #expect(ProcessCensus.sockets(toPort: listener.port) == 0)
        }
    }
}
