import Testing
import TetherTestKit

@testable import TetherNet

extension TetherNetSuites {
    /// The examples of Docs/net.md, so that they keep compiling and working.
    @Suite("Docs/net.md examples")
    struct DocExamplesTests {
        @Test("connecting, reading, writing")
        func connectReadWrite() async throws {
            let listener = try Servers.echo()
            defer { listener.close() }
            let port = listener.port

            let stream = try await TCPStream.connect(host: "localhost", port: port, deadline: .now + .seconds(5))
            defer { stream.close() }
            try await stream.write(Array("EHLO example.org\r\n".utf8), deadline: .now + .seconds(5))
            let reply = try await stream.read(maximumCount: 4096, deadline: .now + .seconds(5))
            if reply.isEmpty {
                // The peer closed its side.
            }

            #expect(!reply.isEmpty)
        }

        @Test("matching a timeout")
        func matchTimeout() async throws {
            let listener = try Servers.silent()
            defer { listener.close() }
            let stream = try await TCPStream.connect(
                host: "localhost", port: listener.port, deadline: .now + .seconds(5))
            var phase: NetworkError.Phase?

            do {
                _ = try await stream.read(maximumCount: 512, deadline: .now + .milliseconds(50))
            } catch let error as NetworkError where error.code == .timedOut {
                phase = error.phase
            }

            #expect(phase == .read)
        }

        @Test("Docs/testing.md: a TLS server for the length of a closure")
        func scopedTLSServer() async throws {
            try await LoopbackTLSServer.withServer(behaviour: .echo) { server, certificates in
                let stream = try await TCPStream.connect(
                    host: "localhost", port: server.port, deadline: .now + .seconds(5),
                    tls: certificates.trustingConfiguration)
                defer { stream.close() }
                #expect(stream.isSecure)
            }
        }

        @Test("implicit TLS and STARTTLS")
        func tls() async throws {
            let certificates = try await TestCertificates.make()
            defer { certificates.remove() }
            let implicit = try LoopbackTLSServer(certificates: certificates, behaviour: .echo)
            defer { implicit.close() }
            let upgrading = try LoopbackTLSServer(certificates: certificates, behaviour: .startTLSEcho(injected: []))
            defer { upgrading.close() }
            let deadline = ContinuousClock.now + .seconds(10)

            var tls = TLSConfiguration()
            tls.trustRootsFile = certificates.caFile
            let secure = try await TCPStream.connect(
                host: "localhost", port: implicit.port, deadline: .now + .seconds(10), tls: tls)
            defer { secure.close() }

            let stream = try await TCPStream.connect(host: "localhost", port: upgrading.port, deadline: deadline)
            defer { stream.close() }
            try await stream.write(Array("STARTTLS\r\n".utf8), deadline: deadline)
            _ = try await stream.read(maximumCount: 11, deadline: deadline)
            try await stream.startTLS(tls, serverName: "localhost", deadline: deadline)

            #expect(secure.isSecure && stream.isSecure)
        }
    }
}
