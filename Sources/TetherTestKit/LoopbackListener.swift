import CTetherSystem
import Dispatch
import Foundation
import Glibc
import Synchronization
import TetherLocking

/// A TCP listener on 127.0.0.1 or ::1 for tests, with blocking POSIX sockets on a thread of its own.
///
/// Each accepted connection is handed to `handler` on the listener's thread; a handler that
/// needs to block for long starts its own thread. Without a handler the listener never accepts,
/// which, with a backlog of 0, makes connects wait: the way to test a connect timeout on loopback.
///
/// ```swift
/// let listener = try LoopbackListener { connection in connection.write(Array("hello".utf8)) }
/// defer { listener.close() }
/// ```
public final class LoopbackListener: Sendable {
    /// The address family to listen on.
    public enum Family: Sendable {
        /// 127.0.0.1
        case ipv4
        /// ::1
        case ipv6
    }

    /// The port the listener is bound to (chosen by the kernel).
    public let port: Int
    /// The address family it listens on.
    public let family: Family

    private let descriptor: Int32
    private let connections = Locked<[LoopbackConnection]>([])
    private let finished = DispatchSemaphore(value: 0)
    private let accepting: Bool
    private let closed = Locked(false)

    /// Starts listening on a free port.
    ///
    /// - Parameters:
    ///   - family: IPv4 or IPv6 loopback. Defaults to ``Family/ipv4``.
    ///   - backlog: The `listen` backlog. Defaults to 128.
    ///   - handler: Called with each accepted connection; `nil` never accepts.
    /// - Throws: ``LoopbackListener/Failure`` naming the call that failed.
    public init(
        family: Family = .ipv4,
        backlog: Int32 = 128,
        handler: (@Sendable (LoopbackConnection) -> Void)? = nil
    ) throws {
        self.family = family
        let domain = family == .ipv4 ? AF_INET : AF_INET6
        descriptor = socket(domain, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(call: "socket") }
        do {
            port = try Self.bindAndListen(descriptor, family: family, backlog: backlog)
        } catch {
            Glibc.close(descriptor)
            throw error
        }
        accepting = handler != nil
        if let handler {
            Thread { [self] in
                ctether_set_thread_name("loopback-listen")
                acceptLoop(handler)
            }.start()
        }
    }

    /// The host to connect to: `127.0.0.1` or `::1`.
    public var host: String { family == .ipv4 ? "127.0.0.1" : "::1" }

    /// Stops accepting and shuts down every accepted connection. Idempotent.
    public func close() {
        let wasClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !wasClosed else { return }
        shutdown(descriptor, Int32(SHUT_RDWR))
        if accepting {
            finished.wait()
        }
        Glibc.close(descriptor)
        for connection in connections.withLock({ $0 }) {
            connection.close()
        }
    }

    deinit {
        close()
    }

    private func acceptLoop(_ handler: @Sendable (LoopbackConnection) -> Void) {
        defer { finished.signal() }
        while true {
            let accepted = accept(descriptor, nil, nil)
            if accepted < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            let connection = LoopbackConnection(descriptor: accepted)
            connections.withLock { $0.append(connection) }
            handler(connection)
        }
    }

    private static func bindAndListen(_ descriptor: Int32, family: Family, backlog: Int32) throws -> Int {
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        switch family {
        case .ipv4:
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
            try withSockAddr(&address) { guard bind(descriptor, $0, $1) == 0 else { throw Failure(call: "bind") } }
        case .ipv6:
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            try withSockAddr(&address) { guard bind(descriptor, $0, $1) == 0 else { throw Failure(call: "bind") } }
        }
        guard listen(descriptor, backlog) == 0 else { throw Failure(call: "listen") }
        var bound = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        try withSockAddrMutable(&bound) { pointer in
            guard getsockname(descriptor, pointer, &length) == 0 else { throw Failure(call: "getsockname") }
        }
        // sin_port and sin6_port sit at the same offset.
        return Int(UInt16(bigEndian: bound.sin6_port))
    }

    private static func withSockAddr<A>(_ address: inout A, _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> Void)
        rethrows
    {
        try withUnsafePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<A>.size)) }
        }
    }

    private static func withSockAddrMutable<A>(
        _ address: inout A, _ body: (UnsafeMutablePointer<sockaddr>) throws -> Void
    )
        rethrows
    {
        try withUnsafeMutablePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0) }
        }
    }

    /// A socket call failed while setting up the listener.
    public struct Failure: Error, CustomStringConvertible {
        /// The call that failed.
        public let call: String
        /// The `errno` it left.
        public let number: Int32

        init(call: String) {
            self.call = call
            self.number = errno
        }

        public var description: String { "LoopbackListener: \(call) failed with errno \(number)" }
    }
}
