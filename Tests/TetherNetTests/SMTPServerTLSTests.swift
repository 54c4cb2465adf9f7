import Foundation
import Testing
import TetherTestKit

@testable import TetherNet

extension TetherNetSuites {
    @Suite("STARTTLS against the throwaway aiosmtpd server")
    struct SMTPServerTLSTests {
        /// A fresh deadline for each operation: generous, since a loaded 2-core machine stalls.
        private var soon: ContinuousClock.Instant { .inMilliseconds(10_000) }

        /// Reads until the buffer ends with a final reply line (`NNN ` ... CRLF).
        private func readReply(_ stream: TCPStream) async throws -> String {
            var bytes: [UInt8] = []
            while true {
                let chunk = try await stream.read(maximumCount: 4096, deadline: soon)
                #expect(!chunk.isEmpty, "the server closed the connection mid-reply")
                if chunk.isEmpty { return String(decoding: bytes, as: UTF8.self) }
                bytes += chunk
                let text = String(decoding: bytes, as: UTF8.self)
                let lines = text.split(separator: "\r\n", omittingEmptySubsequences: true)
                if text.hasSuffix("\r\n"), let last = lines.last, last.count >= 4, last.dropFirst(3).first == " " {
                    return text
                }
            }
        }

        @Test(
            "STARTTLS upgrades a real SMTP session, verified against the server's CA",
            .enabled(if: TestServers.current.shouldRun(.secureSMTP), "\(TestServers.skipMessage(.secureSMTP))"))
        func upgradesRealSession() async throws {
            let servers = TestServers.current
            let host = try servers.value("TETHER_SMTP_TLS_HOST")
            let port = try servers.port("TETHER_SMTP_TLS_PORT")
            var tls = TLSConfiguration()
            tls.trustRootsFile = try servers.value("TETHER_SMTP_TLS_CA")
            let stream = try await TCPStream.connect(host: host, port: port, deadline: soon)
            defer { stream.close() }
            #expect(try await readReply(stream).hasPrefix("220"))
            try await stream.write(Array("EHLO tether.test\r\n".utf8), deadline: soon)
            #expect(try await readReply(stream).contains("STARTTLS"))
            try await stream.write(Array("STARTTLS\r\n".utf8), deadline: soon)
            #expect(try await readReply(stream).hasPrefix("220"))
            try await stream.startTLS(tls, serverName: host, deadline: soon)
            #expect(stream.isSecure)
            try await stream.write(Array("EHLO tether.test\r\n".utf8), deadline: soon)
            #expect(try await readReply(stream).contains("AUTH"))
            try await stream.write(Array("QUIT\r\n".utf8), deadline: soon)
            #expect(try await readReply(stream).hasPrefix("221"))
        }

        @Test(
            "the server's certificate fails verification under the wrong name",
            .enabled(if: TestServers.current.shouldRun(.secureSMTP), "\(TestServers.skipMessage(.secureSMTP))"))
        func wrongNameAgainstRealServer() async throws {
            let servers = TestServers.current
            let port = try servers.port("TETHER_SMTP_TLS_PORT")
            var tls = TLSConfiguration()
            tls.trustRootsFile = try servers.value("TETHER_SMTP_TLS_CA")
            let stream = try await TCPStream.connect(host: "127.0.0.1", port: port, deadline: soon)
            defer { stream.close() }
            _ = try await readReply(stream)
            try await stream.write(Array("STARTTLS\r\n".utf8), deadline: soon)
            #expect(try await readReply(stream).hasPrefix("220"))
            let error = await #expect(throws: NetworkError.self) {
                try await stream.startTLS(tls, serverName: "smtp.example.org", deadline: soon)
            }
            #expect(error?.code == .tlsFailure)
            #expect(error?.detail?.contains("hostname mismatch") == true)
        }
    }
}
