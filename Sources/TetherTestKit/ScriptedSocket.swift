import CTetherOpenSSL
import CTetherSystem
import Foundation

/// A blocking POSIX socket (optionally wrapped in server-side TLS) used by the scripted
/// SMTP server from its own threads, never from Swift's cooperative pool.
final class ScriptedSocket: @unchecked Sendable {
    // Touched only from the owning peer's serial queue, apart from `shutdown()`.
    let descriptor: Int32
    private var ssl: OpaquePointer?
    private let lock = NSLock()
    private var isClosed = false

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Bounds every blocking receive and send so that no scripted step waits forever.
    func setTimeout(_ duration: Duration) {
        let seconds = duration.components.seconds
        let micros = duration.components.attoseconds / 1_000_000_000_000
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(micros))
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { buffer -> Int in
                if let ssl { return Int(SSL_write(ssl, buffer.baseAddress, Int32(buffer.count))) }
                return Glibc.send(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            }
            guard written > 0 else { throw ScriptedSMTPServer.Failure("write failed (errno \(errno))") }
            offset += written
        }
    }

    /// Reads what is available, at most 64 KiB; empty at end of stream.
    func read() throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = buffer.withUnsafeMutableBytes { raw -> Int in
            if let ssl { return Int(SSL_read(ssl, raw.baseAddress, Int32(raw.count))) }
            return Glibc.recv(descriptor, raw.baseAddress, raw.count, 0)
        }
        if count == 0 { return [] }
        guard count > 0 else {
            if ssl != nil { return [] }
            throw ScriptedSMTPServer.Failure("read failed (errno \(errno))")
        }
        return Array(buffer[..<count])
    }

    /// Runs the server side of a TLS handshake with `identity`.
    func acceptTLS(_ identity: ScriptedTLSIdentity) throws {
        guard let ssl = SSL_new(identity.context) else { throw ScriptedSMTPServer.Failure("SSL_new failed") }
        SSL_set_fd(ssl, descriptor)
        guard SSL_accept(ssl) == 1 else {
            SSL_free(ssl)
            throw ScriptedSMTPServer.Failure("the TLS handshake failed")
        }
        self.ssl = ssl
    }

    /// Stops reads and writes in progress on other threads; the descriptor closes in `close()`.
    func shutdown() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
    }

    /// Closes the descriptor once.
    func close() {
        let first = lock.withLock {
            defer { isClosed = true }
            return !isClosed
        }
        guard first else { return }
        if let ssl { SSL_free(ssl) }
        ssl = nil
        _ = Glibc.close(descriptor)
    }
}
