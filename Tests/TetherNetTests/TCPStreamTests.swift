import Foundation
import Synchronization
import Testing
import TetherLocking
import TetherTestKit

@testable import TetherNet

extension TetherNetSuites {
    @Suite("TCPStream over plain TCP")
    struct TCPStreamTests {
        /// A fresh deadline for each operation: generous, since a loaded 2-core machine stalls.
        private var soon: ContinuousClock.Instant { .inMilliseconds(10_000) }

        @Test("bytes written come back from an echo server over IPv4", arguments: [1, 100, 70_000])
        func echoesOverIPv4(size: Int) async throws {
            let listener = try Servers.echo()
            defer { listener.close() }
            let stream = try await TCPStream.connect(host: "127.0.0.1", port: listener.port, deadline: soon)
            defer { stream.close() }
            let sent = (0..<size).map { UInt8(truncatingIfNeeded: $0) }
            try await stream.write(sent, deadline: soon)
            var received: [UInt8] = []
            while received.count < size {
                let chunk = try await stream.read(maximumCount: 65536, deadline: soon)
                #expect(!chunk.isEmpty)
                received += chunk
            }
            #expect(received == sent)
            #expect(stream.isLoopback)
            #expect(!stream.isSecure)
        }

        @Test("connects over IPv6 to ::1")
        func connectsOverIPv6() async throws {
            let listener = try Servers.echo(family: .ipv6)
            defer { listener.close() }
            let stream = try await TCPStream.connect(host: "::1", port: listener.port, deadline: soon)
            defer { stream.close() }
            try await stream.write([42], deadline: soon)
            #expect(try await stream.read(maximumCount: 10, deadline: soon) == [42])
            #expect(stream.isLoopback)
            #expect(stream.peerDescription == "[::1]:\(listener.port)")
        }

        @Test("resolves the host name localhost")
        func resolvesLocalhost() async throws {
            let listener = try Servers.echo()
            defer { listener.close() }
            let stream = try await TCPStream.connect(host: "localhost", port: listener.port, deadline: soon)
            defer { stream.close() }
            try await stream.write([7], deadline: soon)
            #expect(try await stream.read(maximumCount: 10, deadline: soon) == [7])
        }

        @Test("reading after the peer closed returns an empty array")
        func endOfStream() async throws {
            let listener = try LoopbackListener { connection in
                connection.write(Array("bye".utf8))
                connection.close()
            }
            defer { listener.close() }
            let stream = try await TCPStream.connect(host: listener.host, port: listener.port, deadline: soon)
            defer { stream.close() }
            var received: [UInt8] = []
            while true {
                let chunk = try await stream.read(maximumCount: 100, deadline: soon)
                if chunk.isEmpty { break }
                received += chunk
            }
            #expect(received == Array("bye".utf8))
        }

        @Test("a reset from the peer fails the read with connectionReset and closes the stream")
        func resetByPeer() async throws {
            let listener = try LoopbackListener { connection in
                _ = connection.read()
                connection.reset()
            }
            defer { listener.close() }
            let stream = try await TCPStream.connect(host: listener.host, port: listener.port, deadline: soon)
            try await stream.write([1], deadline: soon)
            let error = await #expect(throws: NetworkError.self) {
                _ = try await stream.read(maximumCount: 100, deadline: soon)
            }
            #expect(error?.code == .connectionReset)
            #expect(error?.phase == .read)
            #expect(stream.isClosed)
        }

        @Test("connecting to a port nobody listens on fails with connectionRefused")
        func refused() async throws {
            let port = try Servers.closedPort()
            let error = await #expect(throws: NetworkError.self) {
                _ = try await TCPStream.connect(host: "127.0.0.1", port: port, deadline: soon)
            }
            #expect(error?.code == .connectionRefused)
            #expect(error?.phase == .connect)
            #expect(error?.description == "connect: connection refused (connect to 127.0.0.1:\(port))")
            #expect(ProcessCensus.sockets(toPort: port) == 0)
        }

        @Test("a port outside 1...65535 is rejected naming the port")
        func invalidPort() async throws {
            let error = await #expect(throws: NetworkError.self) {
                _ = try await TCPStream.connect(host: "127.0.0.1", port: 70_000, deadline: soon)
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.description.contains("70000") == true)
        }

        @Test("a read of zero bytes is rejected naming the count")
        func zeroRead() async throws {
            let listener = try Servers.echo()
            defer { listener.close() }
            let stream = try await TCPStream.connect(host: listener.host, port: listener.port, deadline: soon)
            let error = await #expect(throws: NetworkError.self) {
                _ = try await stream.read(maximumCount: 0, deadline: soon)
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.description.contains("maximumCount") == true)
        }

        @Test("a large write completes while the peer drains it")
        func largeWrite() async throws {
            let size = 8 << 20
            let received = Locked(0)
            let listener = try LoopbackListener { connection in
                Thread {
                    while case let chunk = connection.read(), !chunk.isEmpty {
                        received.withLock { $0 += chunk.count }
                    }
                }.start()
            }
            defer { listener.close() }
            let stream = try await TCPStream.connect(host: listener.host, port: listener.port, deadline: soon)
            try await stream.write([UInt8](repeating: 0x61, count: size), deadline: soon)
            stream.close()
            for _ in 0..<500 where received.withLock({ $0 }) < size {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(received.withLock { $0 } == size)
        }

        @Test("operations on a closed stream fail with closed")
        func closedStream() async throws {
            let listener = try Servers.echo()
            defer { listener.close() }
            let stream = try await TCPStream.connect(host: listener.host, port: listener.port, deadline: soon)
            stream.close()
            stream.close()
            let error = await #expect(throws: NetworkError.self) {
                try await stream.write([1], deadline: soon)
            }
            #expect(error?.code == .closed)
            #expect(ProcessCensus.sockets(toPort: listener.port) == 0)
        }
    }
}
