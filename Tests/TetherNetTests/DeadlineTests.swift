import Foundation
import Testing
import TetherTestKit

@testable import TetherNet

extension TetherNetSuites {
    @Suite("TCPStream deadlines")
    struct DeadlineTests {
        @Test("a connect to a full accept queue ends at its deadline and leaves no socket")
        func connectTimeout() async throws {
            let listener = try LoopbackListener(backlog: 0)
            defer { listener.close() }
            var filling: [TCPStream] = []
            defer { filling.forEach { $0.close() } }
            var timeout: NetworkError?
            // With a backlog of 0 the queue takes one or two connections; the next SYN is dropped.
            for _ in 0..<4 where timeout == nil {
                do {
                    let stream = try await TCPStream.connect(
                        host: "127.0.0.1", port: listener.port, deadline: .inMilliseconds(200))
                    filling.append(stream)
                } catch let error as NetworkError {
                    timeout = error
                }
            }
            #expect(timeout?.code == .timedOut)
            #expect(timeout?.phase == .connect)
            #expect(ProcessCensus.sockets(toPort: listener.port) == filling.count)
        }

        @Test("a read from a silent peer ends at its deadline and closes the stream")
        func readTimeout() async throws {
            let listener = try Servers.silent()
            defer { listener.close() }
            let stream = try await TCPStream.connect(
                host: listener.host, port: listener.port, deadline: .inMilliseconds(5000))
            let started = ContinuousClock.now
            let error = await #expect(throws: NetworkError.self) {
                _ = try await stream.read(maximumCount: 10, deadline: .inMilliseconds(100))
            }
            let waited = ContinuousClock.now - started
            #expect(error?.code == .timedOut)
            #expect(error?.phase == .read)
            #expect(error?.description == "read: timed out")
            #expect(error?.code.label == "timedOut")
            #expect(waited >= .milliseconds(100))
            #expect(stream.isClosed)
            #expect(ProcessCensus.sockets(toPort: listener.port) == 0)
        }

        @Test("a write to a peer that never reads ends at its deadline")
        func writeTimeout() async throws {
            let listener = try Servers.silent()
            defer { listener.close() }
            let stream = try await TCPStream.connect(
                host: listener.host, port: listener.port, deadline: .inMilliseconds(5000))
            let error = await #expect(throws: NetworkError.self) {
                try await stream.write([UInt8](repeating: 0, count: 64 << 20), deadline: .inMilliseconds(200))
            }
            #expect(error?.code == .timedOut)
            #expect(error?.phase == .write)
            #expect(stream.isClosed)
        }

        @Test("a host name lookup whose deadline has passed fails in phase resolve")
        func resolveTimeout() async throws {
            let error = await #expect(throws: NetworkError.self) {
                _ = try await TCPStream.connect(host: "localhost", port: 25, deadline: .now - .seconds(1))
            }
            #expect(error?.code == .timedOut)
            #expect(error?.phase == .resolve)
        }

        @Test("a deadline already passed fails without waiting")
        func passedDeadline() async throws {
            let listener = try Servers.silent()
            defer { listener.close() }
            let stream = try await TCPStream.connect(
                host: listener.host, port: listener.port, deadline: .inMilliseconds(5000))
            let error = await #expect(throws: NetworkError.self) {
                _ = try await stream.read(maximumCount: 10, deadline: .now - .seconds(1))
            }
            #expect(error?.code == .timedOut)
        }
    }
}
