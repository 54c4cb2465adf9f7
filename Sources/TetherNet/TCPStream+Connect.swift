import CTetherSystem
import Glibc

extension TCPStream {
    /// Connects to `host` (a name, or an IPv4 or IPv6 literal) on `port`, and with `tls` starts TLS
    /// at once (implicit TLS, as on port 465).
    ///
    /// Resolution, the TCP connect and the TLS handshake all end by `deadline`. The addresses of a
    /// name are raced as RFC 8305 describes: one attempt at a time, the next one 250 ms later or
    /// as soon as the one before failed, alternating IPv6 and IPv4; the first to connect wins.
    ///
    /// - Parameters:
    ///   - host: The host name or IP literal (`[::1]` and `::1` both work).
    ///   - port: The TCP port, 1 to 65535.
    ///   - deadline: When the whole connect, TLS included, gives up.
    ///   - tls: Starts TLS right after connecting when set. Defaults to `nil` (plaintext).
    ///   - serverName: The name the certificate must carry, and the SNI sent. Defaults to `host`, and
    ///     stays the default for a later ``startTLS(_:serverName:deadline:)``.
    /// - Throws: ``NetworkError`` with phase `.resolve`, `.connect` or `.tlsHandshake`, or
    ///   `CancellationError`. Nothing stays open after a throw.
    public static func connect(
        host: String,
        port: Int,
        deadline: ContinuousClock.Instant,
        tls: TLSConfiguration? = nil,
        serverName: String? = nil
    ) async throws -> TCPStream {
        guard (1...65535).contains(port) else {
            throw NetworkError(.invalidArgument, .connect, detail: "port \(port) is outside 1...65535")
        }
        guard !host.isEmpty else {
            throw NetworkError(.invalidArgument, .resolve, detail: "the host name is empty")
        }
        let addresses = try await Resolver.shared.resolve(host, port: port, deadline: deadline)
        let stream = try await connect(toFirstOf: addresses, host: host, deadline: deadline)
        if let tls {
            try await stream.startTLS(tls, serverName: serverName ?? host, deadline: deadline)
        }
        return stream
    }

    /// Opens a non-blocking socket to `address` (one address of `host`) and waits in the loop until
    /// it is connected.
    static func connect(to address: SocketAddress, host: String, deadline: ContinuousClock.Instant)
        async throws -> TCPStream
    {
        if Task.isCancelled { throw CancellationError() }
        let descriptor = socket(
            address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw NetworkError.system(errno, .connect, call: "socket")
        }
        var one: Int32 = 1
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let status = address.withSockAddr { Glibc.connect(descriptor, $0, $1) }
        let connectErrno = errno
        if status != 0 && connectErrno != EINPROGRESS {
            Glibc.close(descriptor)
            throw NetworkError.system(connectErrno, .connect, call: "connect to \(address)")
        }
        let token: SocketToken
        do {
            token = try EventLoop.shared.register(descriptor)
        } catch {
            Glibc.close(descriptor)
            throw error
        }
        let stream = TCPStream(descriptor: descriptor, token: token, loop: .shared, host: host, peer: address)
        if status != 0 {
            try await stream.waitUntilReady(.writable, deadline: deadline, phase: .connect)
            try stream.checkConnected(to: address)
        }
        return stream
    }

    /// Reads the outcome of a non-blocking connect; closes the stream when it failed.
    private func checkConnected(to address: SocketAddress) throws(NetworkError) {
        let failure = core.withLock { core -> Int32 in
            guard core.descriptor >= 0 else { return ECONNABORTED }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            if getsockopt(core.descriptor, SOL_SOCKET, SO_ERROR, &failure, &length) != 0 {
                return errno
            }
            return failure
        }
        guard failure != 0 else { return }
        close()
        throw NetworkError.system(failure, .connect, call: "connect to \(address)")
    }
}
