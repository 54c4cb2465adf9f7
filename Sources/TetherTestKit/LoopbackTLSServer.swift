import CTetherOpenSSL
import Foundation
import Synchronization
import TetherLocking

/// A TLS server on loopback for tests and benchmarks, with blocking OpenSSL calls on its own threads.
///
/// ```swift
/// let certificates = try TestCertificates.make()
/// let server = try LoopbackTLSServer(certificates: certificates, behaviour: .echo)
/// defer { server.close(); certificates.remove() }
/// ```
public final class LoopbackTLSServer: Sendable {
    /// What the server does with each connection after the handshake.
    public enum Behaviour: Sendable {
        /// Echoes every byte back, one thread per connection.
        case echo
        /// Completes the handshake on the listener's thread and then holds the connection, idle,
        /// without a thread: for many idle connections.
        case hold
        /// Reads one line in plaintext, answers `220 ready` followed by `injected` in the same write,
        /// then starts TLS and echoes: a STARTTLS exchange, with a man in the middle when `injected`
        /// is not empty.
        case startTLSEcho(injected: [UInt8])
    }

    private let listener: LoopbackListener
    private let held: HeldSessions

    /// The port to connect to.
    public var port: Int { listener.port }
    /// The host to connect to.
    public var host: String { listener.host }

    /// Starts the server with the certificate and key of `certificates`.
    ///
    /// With `requiresClientCertificate`, a client must present a certificate signed by the CA of
    /// ``TestCertificates/caFile``, or the handshake fails.
    ///
    /// - Throws: ``LoopbackListener/Failure``, or ``TestCertificates/Failure`` when OpenSSL rejects them.
    public init(
        certificates: TestCertificates,
        family: LoopbackListener.Family = .ipv4,
        behaviour: Behaviour,
        requiresClientCertificate: Bool = false
    ) throws {
        let context = try ServerContext(
            certificates: certificates, requiresClientCertificate: requiresClientCertificate)
        let held = HeldSessions()
        self.held = held
        listener = try LoopbackListener(family: family) { connection in
            guard let session = ServerSession(context: context, connection: connection) else { return }
            switch behaviour {
            case .hold:
                if session.accept() {
                    held.sessions.withLock { $0.append(session) }
                }
            case .echo:
                Thread {
                    guard session.accept() else { return }
                    session.echoUntilClosed()
                }.start()
            case .startTLSEcho(let injected):
                Thread {
                    _ = connection.read(maximumCount: 1024)
                    connection.write(Array("220 ready\r\n".utf8) + injected)
                    guard session.accept() else { return }
                    session.echoUntilClosed()
                }.start()
            }
        }
    }

    /// Stops accepting and shuts every connection down. Idempotent.
    public func close() {
        listener.close()
        held.sessions.withLock { $0.removeAll() }
    }
}

/// The sessions a ``LoopbackTLSServer/Behaviour/hold`` server keeps open.
private final class HeldSessions: Sendable {
    let sessions = Locked<[ServerSession]>([])
}

/// An `SSL_CTX` for the server side; configured once, then only used to make sessions.
private final class ServerContext: @unchecked Sendable {
    let pointer: OpaquePointer

    init(certificates: TestCertificates, requiresClientCertificate: Bool) throws {
        guard let pointer = SSL_CTX_new(TLS_server_method()) else {
            throw TestCertificates.Failure(step: "SSL_CTX_new", status: -1)
        }
        self.pointer = pointer
        guard SSL_CTX_use_certificate_chain_file(pointer, certificates.serverCertificateFile) == 1,
            SSL_CTX_use_PrivateKey_file(pointer, certificates.serverKeyFile, SSL_FILETYPE_PEM) == 1
        else {
            throw TestCertificates.Failure(step: "loading the server certificate", status: -1)
        }
        if requiresClientCertificate {
            guard SSL_CTX_load_verify_locations(pointer, certificates.caFile, nil) == 1 else {
                throw TestCertificates.Failure(step: "loading the CA for client certificates", status: -1)
            }
            SSL_CTX_set_verify(pointer, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        }
    }

    deinit {
        SSL_CTX_free(pointer)
    }
}

/// One server-side TLS connection; used by one thread at a time (the listener's, then its own).
private final class ServerSession: @unchecked Sendable {
    private let ssl: OpaquePointer
    private let connection: LoopbackConnection

    init?(context: ServerContext, connection: LoopbackConnection) {
        guard let ssl = SSL_new(context.pointer) else { return nil }
        self.ssl = ssl
        self.connection = connection
        SSL_set_fd(ssl, connection.descriptor)
    }

    deinit {
        connection.close()
        SSL_free(ssl)
    }

    func accept() -> Bool {
        SSL_accept(ssl) == 1
    }

    func echoUntilClosed() {
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            guard count > 0 else {
                // Answer the client's close-notify with ours.
                SSL_shutdown(ssl)
                return
            }
            let written = buffer.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, count) }
            guard written == count else { return }
        }
    }
}
