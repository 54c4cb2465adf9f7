import Foundation
import Testing
import TetherTestKit

@testable import TetherNet

extension TetherNetSuites {
    @Suite("TCPStream cancellation")
    struct CancellationTests {
        /// Runs `operation` in a task, cancels it once it has had time to suspend, and returns
        /// what it threw and how long it took from cancel to return.
        private func cancelWhileWaiting(_ operation: @escaping @Sendable () async throws -> Void) async -> (
            (any Error)?, Duration
        ) {
            let task = Task { try await operation() }
            // Give the operation time to reach its wait; cancelling earlier is checked as well.
            try? await Task.sleep(for: .milliseconds(50))
            let cancelled = ContinuousClock.now
            task.cancel()
            let result = await task.result
            let elapsed = ContinuousClock.now - cancelled
            if case .failure(let error) = result { return (error, elapsed) }
            return (nil, elapsed)
        }

        @Test("cancelling a read returns CancellationError at once and closes the socket")
        func cancelRead() async throws {
            let listener = try Servers.silent()
            defer { listener.close() }
            let stream = try await TCPStream.connect(
                host: listener.host, port: listener.port, deadline: .inMilliseconds(5000))
            let (error, elapsed) = await cancelWhileWaiting {
                _ = try await stream.read(maximumCount: 10, deadline: .inMilliseconds(60_000))
            }
            #expect(error is CancellationError)
            #expect(elapsed < TetherNetSuites.promptly)
            #expect(stream.isClosed)
            #expect(ProcessCensus.sockets(toPort: listener.port) == 0)
        }

        @Test("cancelling a connect to a full accept queue returns at once and leaves no socket")
        func cancelConnect() async throws {
            let full = try await Servers.fullAcceptQueue()
            defer { full.close() }
            let port = full.port
            let (error, elapsed) = await cancelWhileWaiting {
                _ = try await TCPStream.connect(host: "127.0.0.1", port: port, deadline: .inMilliseconds(60_000))
            }
            #expect(error is CancellationError)
            #expect(elapsed < TetherNetSuites.promptly)
            #expect(ProcessCensus.sockets(toPort: port) == full.filling.count)
        }

        @Test("an operation in an already cancelled task fails and closes the stream")
        func alreadyCancelled() async throws {
            let listener = try Servers.echo()
            defer { listener.close() }
            let stream = try await TCPStream.connect(
                host: listener.host, port: listener.port, deadline: .inMilliseconds(5000))
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                try await stream.write([1], deadline: .inMilliseconds(5000))
            }
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(stream.isClosed)
        }

        @Test("a read and a write wait on one stream at once, and close ends both")
        func closeEndsBothWaiters() async throws {
            let listener = try Servers.silent()
            defer { listener.close() }
            let stream = try await TCPStream.connect(
                host: listener.host, port: listener.port, deadline: .inMilliseconds(5000))
            let reader = Task { try await stream.read(maximumCount: 10, deadline: .inMilliseconds(60_000)) }
            let writer = Task {
                try await stream.write([UInt8](repeating: 0, count: 64 << 20), deadline: .inMilliseconds(60_000))
            }
            try await Task.sleep(for: .milliseconds(50))
            stream.close()
            let readError = await #expect(throws: NetworkError.self) { _ = try await reader.value }
            let writeError = await #expect(throws: NetworkError.self) { try await writer.value }
            #expect(readError?.code == .closed)
            #expect(writeError?.code == .closed)
        }
    }
}
