import Foundation
import Testing
import TetherTestKit

@testable import TetherNet

extension TetherNetSuites {
    @Suite("TLS handshakes that never finish")
    struct TLSStallTests {
        /// Accepts, reads the ClientHello and never answers.
        private func stallingServer() throws -> LoopbackListener {
            try LoopbackListener { connection in
                Thread { _ = connection.read() }.start()
            }
        }

        private var insecure: TLSConfiguration {
            var configuration = TLSConfiguration()
            configuration.verification = .insecureNoVerificationForTestsOnly
            return configuration
        }

        @Test("S1: a silent implicit-TLS peer fails at the handshake deadline")
        func silentImplicitTLSPeer() async throws {
            let server = try Servers.silent()
            defer { server.close() }
            let started = ContinuousClock.now
            let error = await #expect(throws: NetworkError.self) {
                _ = try await TCPStream.connect(
                    host: "127.0.0.1", port: server.port, deadline: .inMilliseconds(200), tls: insecure)
            }
            #expect(error?.code == .timedOut)
            #expect(error?.phase == .tlsHandshake)
            #expect(ContinuousClock.now - started < TetherNetSuites.promptly)
            #expect(ProcessCensus.sockets(toPort: server.port) == 0)
        }

        @Test("S2: a handshake stalled after the ClientHello fails at its deadline")
        func stalledHandshake() async throws {
            let server = try stallingServer()
            defer { server.close() }
            let stream = try await TCPStream.connect(
                host: "127.0.0.1", port: server.port, deadline: .inMilliseconds(5000))
            let error = await #expect(throws: NetworkError.self) {
                try await stream.startTLS(insecure, serverName: "localhost", deadline: .inMilliseconds(200))
            }
            #expect(error?.code == .timedOut)
            #expect(error?.phase == .tlsHandshake)
            #expect(stream.isClosed)
            #expect(ProcessCensus.sockets(toPort: server.port) == 0)
        }

        @Test("S2: cancelling a stalled handshake returns at once and closes the socket")
        func cancelStalledHandshake() async throws {
            let server = try stallingServer()
            defer { server.close() }
            let port = server.port
            let configuration = insecure
            let task = Task {
                _ = try await TCPStream.connect(
                    host: "127.0.0.1", port: port, deadline: .inMilliseconds(60_000), tls: configuration)
            }
            try await Task.sleep(for: .milliseconds(100))
            let cancelled = ContinuousClock.now
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(ContinuousClock.now - cancelled < TetherNetSuites.promptly)
            #expect(ProcessCensus.sockets(toPort: port) == 0)
        }

        @Test("cancelling a read on an established TLS stream returns at once and closes the socket")
        func cancelTLSRead() async throws {
            try await LoopbackTLSServer.withServer(behaviour: .hold) { server, certificates in
                let stream = try await TCPStream.connect(
                    host: "localhost", port: server.port, deadline: .inMilliseconds(5000),
                    tls: certificates.trustingConfiguration)
                let reader = Task { try await stream.read(maximumCount: 10, deadline: .inMilliseconds(60_000)) }
                try await Task.sleep(for: .milliseconds(50))
                let cancelled = ContinuousClock.now
                reader.cancel()
                await #expect(throws: CancellationError.self) { _ = try await reader.value }
                #expect(ContinuousClock.now - cancelled < TetherNetSuites.promptly)
                #expect(stream.isClosed)
                #expect(ProcessCensus.sockets(toPort: server.port) == 0)
            }
        }
    }
}
