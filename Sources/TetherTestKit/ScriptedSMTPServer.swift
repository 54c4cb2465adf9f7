import CTetherSystem
import Dispatch
import Foundation

/// An SMTP server on loopback that a test drives step by step: what it sends, when, split
/// how, and whether it answers at all.
///
/// It runs on its own threads with blocking POSIX sockets, apart from the event loop of
/// the code under test, so a stuck client cannot stall it and it cannot stall the client.
///
/// ```swift
/// let server = try ScriptedSMTPServer()
/// // ... the client connects to 127.0.0.1:server.port ...
/// let peer = try await server.accept()
/// try await peer.send("220 scripted ESMTP\r\n", splitEvery: 1)
/// #expect(try await peer.readLine() == "EHLO localhost")
/// ```
public final class ScriptedSMTPServer: Sendable {
    /// A failure of the scripted server or one of its peers.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    private let listener: ScriptedSocket
    private let queue = DispatchQueue(label: "tether.scripted-smtp.accept")
    /// The loopback port the server listens on.
    public let port: Int
    /// The certificate STARTTLS presents, when the server was made with TLS.
    public let identity: ScriptedTLSIdentity?
    /// How long any one scripted step may block. Defaults to 10 seconds.
    public let stepTimeout: Duration

    /// Listens on 127.0.0.1 at a free port.
    ///
    /// - Parameters:
    ///   - identity: the certificate for ``ScriptedSMTPPeer/startTLS()``. Defaults to `nil`.
    ///   - backlog: the listen backlog; 0 with ``accept(timeout:)`` never called lets a test
    ///     fill the accept queue so that the next connect times out. Defaults to 16.
    ///   - stepTimeout: how long a step (read, write, accept, handshake) may block.
    /// - Throws: ``Failure`` when the socket cannot be made.
    public init(identity: ScriptedTLSIdentity? = nil, backlog: Int32 = 16, stepTimeout: Duration = .seconds(10)) throws
    {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket() failed (errno \(errno))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, backlog) == 0 else {
            Glibc.close(descriptor)
            throw Failure("bind or listen on 127.0.0.1 failed (errno \(errno))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.listener = ScriptedSocket(descriptor: descriptor)
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.identity = identity
        self.stepTimeout = stepTimeout
    }

    /// Accepts the next connection.
    ///
    /// - Throws: ``Failure`` when no client connects within `timeout`.
    public func accept(timeout: Duration = .seconds(10)) async throws -> ScriptedSMTPPeer {
        listener.setTimeout(timeout)
        let descriptor: Int32 = try await withCheckedThrowingContinuation { continuation in
            queue.async { [listener] in
                let accepted = Glibc.accept(listener.descriptor, nil, nil)
                if accepted >= 0 {
                    continuation.resume(returning: accepted)
                } else {
                    continuation.resume(throwing: Failure("no connection was accepted (errno \(errno))"))
                }
            }
        }
        let socket = ScriptedSocket(descriptor: descriptor)
        socket.setTimeout(stepTimeout)
        return ScriptedSMTPPeer(socket: socket, identity: identity)
    }

    /// Stops listening.
    public func close() {
        listener.shutdown()
        listener.close()
    }

    deinit { close() }
}
