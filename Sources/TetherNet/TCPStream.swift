import CTetherOpenSSL
import CTetherSystem
import Glibc
import Synchronization
import TetherLocking

/// A TCP connection, optionally TLS, whose every operation has a deadline and ends at once on cancellation.
///
/// Sockets are non-blocking; when one is not ready the operation suspends in the shared
/// event loop, so no thread of the cooperative pool ever blocks, and an idle stream costs a
/// descriptor, not a thread. `TCP_NODELAY` is on: write a group of commands with one
/// ``write(_:deadline:)`` call.
///
/// ```swift
/// let stream = try await TCPStream.connect(host: "127.0.0.1", port: port, deadline: .now + .seconds(5))
/// try await stream.write(Array("NOOP\r\n".utf8), deadline: .now + .seconds(5))
/// let reply = try await stream.read(maximumCount: 512, deadline: .now + .seconds(5))
/// stream.close()
/// ```
///
/// A passed deadline, a failure or the calling task's cancellation closes the stream: the
/// descriptor is removed from epoll and closed before the operation returns. A read and a write
/// may be in flight at the same time; concurrent reads are safe but their order is not defined.
public final class TCPStream: ByteStream {
    /// Where the socket is and what runs over it; every system and OpenSSL call on it holds the lock,
    /// so a close on another thread can never release a descriptor number a call is still using.
    struct Core {
        /// The socket, or -1 once closed.
        var descriptor: Int32
        /// The TLS session once ``startTLS(_:serverName:deadline:)`` began.
        var session: TLSSession?
        /// Whether the TLS handshake completed.
        var isSecure = false
    }

    let core: Locked<Core>
    let token: SocketToken
    let loop: EventLoop

    /// Whether the peer is on a loopback address (127.0.0.0/8 or ::1).
    public let isLoopback: Bool

    /// The address the stream is connected to, as text (`127.0.0.1:25`, `[::1]:25`).
    public let peerDescription: String

    /// The host name or IP literal given to ``connect(host:port:deadline:tls:serverName:)``; TLS
    /// verifies the peer against it unless a server name is given.
    public let host: String

    init(descriptor: Int32, token: SocketToken, loop: EventLoop, host: String, peer: SocketAddress) {
        self.core = Locked(Core(descriptor: descriptor))
        self.token = token
        self.loop = loop
        self.host = host
        self.isLoopback = peer.isLoopback
        self.peerDescription = peer.description
    }

    deinit {
        close()
    }

    /// Whether the stream runs over TLS now (the handshake completed).
    public var isSecure: Bool { core.withLock { $0.isSecure } }

    /// Whether ``close()`` ran (or a failure, deadline or cancellation closed the stream).
    public var isClosed: Bool { core.withLock { $0.descriptor < 0 } }

    /// Writes all of `bytes`, in one system call where the kernel takes them at once.
    ///
    /// - Throws: ``NetworkError`` in phase `.write` (`.timedOut`, `.connectionReset`, `.closed`,
    ///   `.tlsFailure`), or `CancellationError`. Either way the stream is closed.
    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws {
        var offset = 0
        while offset < bytes.count {
            offset += try await perform(.write, deadline: deadline) { core throws(NetworkError) in
                let descriptor = core.descriptor
                let session = core.session
                return try bytes.withUnsafeBytes { buffer in
                    let rest = UnsafeRawBufferPointer(rebasing: buffer[offset...])
                    return Result { () throws(NetworkError) in
                        if let session { return try session.write(rest) }
                        return try Self.send(descriptor, rest)
                    }
                }.get()
            }
        }
    }

    /// Reads what is available, at most `maximumCount` bytes, waiting until at least one byte arrives.
    ///
    /// Returns an empty array when the peer closed its side (end of stream). One call returns at
    /// most ``maximumReadSize`` bytes, however large `maximumCount` is.
    ///
    /// - Throws: ``NetworkError`` in phase `.read`, or `CancellationError`; the stream is then closed.
    public func read(maximumCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        guard maximumCount > 0 else {
            throw NetworkError(.invalidArgument, .read, detail: "maximumCount must be positive, got \(maximumCount)")
        }
        return try await perform(.read, deadline: deadline) { core throws(NetworkError) in
            var buffer = [UInt8](repeating: 0, count: min(maximumCount, Self.maximumReadSize))
            let descriptor = core.descriptor
            let session = core.session
            let step = try buffer.withUnsafeMutableBytes { buffer in
                Result { () throws(NetworkError) in
                    if let session { return try session.read(into: buffer) }
                    return try Self.receive(descriptor, into: buffer)
                }
            }.get()
            return step.map { count in
                buffer.removeSubrange(count...)
                return buffer
            }
        }
    }

    /// The most one ``read(maximumCount:deadline:)`` returns: 256 KiB, so that a large
    /// `maximumCount` never allocates more than a read can fill.
    public static let maximumReadSize = 256 * 1024

    /// Closes the stream; pending and later operations fail. Idempotent.
    ///
    /// A TLS stream sends its close-notify without waiting for the peer's: closing never waits.
    public func close() {
        let (descriptor, session) = core.withLock { core -> (Int32, TLSSession?) in
            defer {
                core.descriptor = -1
                core.session = nil
                core.isSecure = false
            }
            return (core.descriptor, core.session)
        }
        guard descriptor >= 0 else { return }
        session?.sendCloseNotify()
        loop.deregister(descriptor, token)
        Glibc.close(descriptor)
    }
}
