import Foundation
import Testing
import TetherTestKit

@testable import TetherNet

extension TetherNetSuites {
    @Suite("TCPStream over TLS")
    struct TLSTests {
        /// A fresh deadline for each operation: generous, since a loaded 2-core machine stalls.
        private var soon: ContinuousClock.Instant { .inMilliseconds(10_000) }

        private func trusting(_ file: String) -> TLSConfiguration {
            var configuration = TLSConfiguration()
            configuration.trustRootsFile = file
            return configuration
        }

        private func expectEcho(_ stream: TCPStream) async throws {
            try await stream.write(Array("ping".utf8), deadline: soon)
            var received: [UInt8] = []
            while received.count < 4 {
                let chunk = try await stream.read(maximumCount: 100, deadline: soon)
                if chunk.isEmpty { break }
                received += chunk
            }
            #expect(received == Array("ping".utf8))
        }

        /// Expects `operation` to fail with a TLS failure whose detail contains `reason`.
        private func expectTLSFailure(
            naming reason: String, sourceLocation: SourceLocation = #_sourceLocation,
            _ operation: () async throws -> Void
        ) async {
            let error = await #expect(throws: NetworkError.self, sourceLocation: sourceLocation) {
                try await operation()
            }
            #expect(error?.code == .tlsFailure, sourceLocation: sourceLocation)
            #expect(
                error?.detail?.contains(reason) == true, "\(String(describing: error))", sourceLocation: sourceLocation)
        }

        @Test(
            "implicit TLS with the right CA verifies chain and name",
            arguments: [("localhost", LoopbackListener.Family.ipv4), ("127.0.0.1", .ipv4), ("::1", .ipv6)])
        func implicitTLS(host: String, family: LoopbackListener.Family) async throws {
            try await LoopbackTLSServer.withServer(family: family, behaviour: .echo) { server, certificates in
                let stream = try await TCPStream.connect(
                    host: host, port: server.port, deadline: soon, tls: certificates.trustingConfiguration)
                defer { stream.close() }
                #expect(stream.isSecure)
                try await expectEcho(stream)
            }
        }

        @Test("a certificate from an unknown CA fails with certificate verify failed and leaves no socket")
        func wrongCA() async throws {
            try await LoopbackTLSServer.withServer(behaviour: .echo) { server, certificates in
                for configuration in [trusting(certificates.otherCAFile), TLSConfiguration()] {
                    await expectTLSFailure(naming: "certificate verify failed") {
                        _ = try await TCPStream.connect(
                            host: "localhost", port: server.port, deadline: soon, tls: configuration)
                    }
                }
                #expect(ProcessCensus.sockets(toPort: server.port) == 0)
            }
        }

        @Test(
            "a name or address the certificate does not carry fails verification",
            arguments: [("mail.example.com", "hostname mismatch"), ("127.0.0.2", "IP address mismatch")])
        func wrongName(serverName: String, reason: String) async throws {
            try await LoopbackTLSServer.withServer(behaviour: .echo) { server, certificates in
                await expectTLSFailure(naming: reason) {
                    _ = try await TCPStream.connect(
                        host: "127.0.0.1", port: server.port, deadline: soon,
                        tls: certificates.trustingConfiguration, serverName: serverName)
                }
            }
        }

        @Test("chain-only verification accepts a wrong name, and no verification accepts an unknown CA")
        func relaxedVerification() async throws {
            try await LoopbackTLSServer.withServer(behaviour: .echo) { server, certificates in
                var chainOnly = certificates.trustingConfiguration
                chainOnly.verification = .chainOnly
                let first = try await TCPStream.connect(
                    host: "127.0.0.1", port: server.port, deadline: soon, tls: chainOnly,
                    serverName: "mail.example.com")
                defer { first.close() }
                try await expectEcho(first)
                var none = trusting(certificates.otherCAFile)
                none.verification = .insecureNoVerificationForTestsOnly
                let second = try await TCPStream.connect(
                    host: "127.0.0.1", port: server.port, deadline: soon, tls: none)
                defer { second.close() }
                try await expectEcho(second)
            }
        }

        @Test("a large write and concurrent reads over TLS run at once without deadlock")
        func fullDuplex() async throws {
            try await LoopbackTLSServer.withServer(behaviour: .echo) { server, certificates in
                let stream = try await TCPStream.connect(
                    host: "localhost", port: server.port, deadline: soon, tls: certificates.trustingConfiguration)
                defer { stream.close() }
                let sent = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
                let deadline = ContinuousClock.Instant.inMilliseconds(30_000)
                let reader = Task {
                    var received: [UInt8] = []
                    while received.count < sent.count {
                        let chunk = try await stream.read(maximumCount: 65536, deadline: deadline)
                        if chunk.isEmpty { break }
                        received += chunk
                    }
                    return received
                }
                try await stream.write(sent, deadline: deadline)
                #expect(try await reader.value == sent)
            }
        }

        @Test("a server that requires a client certificate accepts ours and refuses a client without one")
        func clientCertificate() async throws {
            try await LoopbackTLSServer.withServer(behaviour: .echo, requiresClientCertificate: true) {
                server, certificates in
                var presenting = certificates.trustingConfiguration
                presenting.certificateChainFile = certificates.clientCertificateFile
                presenting.privateKeyFile = certificates.clientKeyFile
                let accepted = try await TCPStream.connect(
                    host: "localhost", port: server.port, deadline: soon, tls: presenting)
                defer { accepted.close() }
                try await expectEcho(accepted)

                // With TLS 1.3 the client finishes its handshake before the server checks it; the
                // refusal arrives as an alert on the first read.
                await expectTLSFailure(naming: "certificate required") {
                    let refused = try await TCPStream.connect(
                        host: "localhost", port: server.port, deadline: soon, tls: certificates.trustingConfiguration)
                    defer { refused.close() }
                    try await refused.write(Array("ping".utf8), deadline: soon)
                    _ = try await refused.read(maximumCount: 10, deadline: soon)
                }
            }
        }

        @Test("a private key that does not match the client certificate fails naming the file")
        func mismatchedClientKey() async throws {
            let certificates = try await TestCertificates.make()
            defer { certificates.remove() }
            let server = try Servers.silent()
            defer { server.close() }
            var configuration = certificates.trustingConfiguration
            configuration.certificateChainFile = certificates.clientCertificateFile
            configuration.privateKeyFile = certificates.serverKeyFile
            await expectTLSFailure(naming: certificates.serverKeyFile) {
                _ = try await TCPStream.connect(
                    host: "localhost", port: server.port, deadline: soon, tls: configuration)
            }
        }

        @Test("a trust roots file that cannot be read fails naming the file")
        func missingTrustRoots() async throws {
            let server = try Servers.silent()
            defer { server.close() }
            await expectTLSFailure(naming: "/nonexistent/ca.pem") {
                _ = try await TCPStream.connect(
                    host: "127.0.0.1", port: server.port, deadline: soon, tls: trusting("/nonexistent/ca.pem"))
            }
            #expect(ProcessCensus.sockets(toPort: server.port) == 0)
        }

        @Test("STARTTLS upgrades the plaintext stream in place")
        func startTLS() async throws {
            try await LoopbackTLSServer.withServer(behaviour: .startTLSEcho(injected: [])) { server, certificates in
                let stream = try await startTLSExchange(port: server.port)
                defer { stream.close() }
                #expect(!stream.isSecure)
                // No server name: the peer is verified as the host connected to, "localhost".
                try await stream.startTLS(certificates.trustingConfiguration, serverName: nil, deadline: soon)
                #expect(stream.isSecure)
                try await expectEcho(stream)
            }
        }

        @Test("S6: bytes waiting before the STARTTLS handshake fail the upgrade and close the stream")
        func bytesBeforeTLS() async throws {
            let injected = Array("250-AUTH PLAIN\r\n".utf8)
            try await LoopbackTLSServer.withServer(behaviour: .startTLSEcho(injected: injected)) {
                server, certificates in
                let stream = try await startTLSExchange(port: server.port)
                let error = await #expect(throws: NetworkError.self) {
                    try await stream.startTLS(
                        certificates.trustingConfiguration, serverName: "localhost", deadline: soon)
                }
                #expect(error?.code == .bytesBeforeTLS)
                #expect(stream.isClosed)
                #expect(!stream.isSecure)
            }
        }

        /// Connects in plaintext and exchanges `STARTTLS` / `220 ready` with a `.startTLSEcho` server.
        private func startTLSExchange(port: Int) async throws -> TCPStream {
            let stream = try await TCPStream.connect(host: "localhost", port: port, deadline: soon)
            try await stream.write(Array("STARTTLS\r\n".utf8), deadline: soon)
            #expect(try await stream.read(maximumCount: 11, deadline: soon) == Array("220 ready\r\n".utf8))
            return stream
        }
    }
}

extension TetherNetSuites {
    @Suite("TLS shutdown")
    struct TLSShutdownTests {
        @Test("shutdown exchanges close-notify with a peer that answers and closes the stream")
        func answeredShutdown() async throws {
            try await LoopbackTLSServer.withServer(behaviour: .echo) { server, certificates in
                let stream = try await TCPStream.connect(
                    host: "localhost", port: server.port, deadline: .inMilliseconds(5000),
                    tls: certificates.trustingConfiguration)
                let started = ContinuousClock.now
                await stream.shutdown(deadline: .inMilliseconds(5000))
                #expect(ContinuousClock.now - started < TCPStream.closeNotifyTimeout)
                #expect(stream.isClosed)
                #expect(ProcessCensus.sockets(toPort: server.port) == 0)
            }
        }

        @Test("shutdown with a peer that never answers ends by its deadline")
        func unansweredShutdown() async throws {
            try await LoopbackTLSServer.withServer(behaviour: .hold) { server, certificates in
                let stream = try await TCPStream.connect(
                    host: "localhost", port: server.port, deadline: .inMilliseconds(5000),
                    tls: certificates.trustingConfiguration)
                let started = ContinuousClock.now
                await stream.shutdown(deadline: .inMilliseconds(100))
                let waited = ContinuousClock.now - started
                #expect(waited >= .milliseconds(100))
                #expect(waited < TCPStream.closeNotifyTimeout)
                #expect(stream.isClosed)
            }
        }
    }
}
