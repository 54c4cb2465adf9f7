import Dispatch
import Foundation
import Synchronization
import TetherLocking

/// One accepted connection of a ``ScriptedSMTPServer``; each call is one scripted step.
///
/// Steps run one after another on the peer's own thread. Every step is bounded by the
/// server's step timeout, so a test cannot hang on a client that went quiet.
public final class ScriptedSMTPPeer: Sendable {
    private let socket: ScriptedSocket
    private let identity: ScriptedTLSIdentity?
    private let queue = DispatchQueue(label: "tether.scripted-smtp.peer")
    private let inbound = Locked<[UInt8]>([])

    init(socket: ScriptedSocket, identity: ScriptedTLSIdentity?) {
        self.socket = socket
        self.identity = identity
    }

    /// Sends `text` in one write.
    public func send(_ text: String) async throws {
        try await step { [socket] in try socket.write(Array(text.utf8)) }
    }

    /// Sends `text` in pieces of `size` bytes with `pause` between them, so replies arrive
    /// split inside lines.
    public func send(_ text: String, splitEvery size: Int, pause: Duration = .milliseconds(1)) async throws {
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: max(1, size)) {
            let piece = Array(bytes[start..<min(start + size, bytes.count)])
            try await step { [socket] in try socket.write(piece) }
            try await Task.sleep(for: pause)
        }
    }

    /// The next line the client sent, without CRLF.
    ///
    /// - Throws: ``ScriptedSMTPServer/Failure`` when the client closes first or the step times out.
    public func readLine() async throws -> String {
        String(decoding: try await readLineBytes(), as: UTF8.self)
    }

    /// The message content after DATA, up to and without the `.` line, still dot-stuffed.
    public func readData() async throws -> [UInt8] {
        var content: [UInt8] = []
        while true {
            let line = try await readLineBytes()
            if line == [UInt8(ascii: ".")] { return content }
            content += line + [0x0D, 0x0A]
        }
    }

    /// Reads one line and checks it starts with `prefix`, then sends `reply` (CRLF added).
    @discardableResult
    public func expect(_ prefix: String, reply: String) async throws -> String {
        let line = try await readLine()
        guard line.uppercased().hasPrefix(prefix.uppercased()) else {
            throw ScriptedSMTPServer.Failure("expected \(prefix), the client sent: \(line)")
        }
        try await send(reply + "\r\n")
        return line
    }

    /// Greets, then answers EHLO with `extensions`.
    public func greet(extensions: [String] = ["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"]) async throws {
        try await send("220 scripted.test ESMTP\r\n")
        let lines = ["scripted.test"] + extensions
        let reply = lines.enumerated().map { "250" + ($0 == lines.count - 1 ? " " : "-") + $1 }
        _ = try await readLine()
        try await send(reply.joined(separator: "\r\n") + "\r\n")
    }

    /// Runs the server side of the TLS handshake now (after answering STARTTLS).
    ///
    /// - Throws: when the server has no identity or the handshake fails.
    public func startTLS() async throws {
        guard let identity else { throw ScriptedSMTPServer.Failure("the server was made without an identity") }
        guard inbound.withLock({ $0.isEmpty }) else {
            throw ScriptedSMTPServer.Failure("the client sent bytes before the TLS handshake")
        }
        try await step { [socket] in try socket.acceptTLS(identity) }
    }

    /// Waits until the client closes its side; `true` when it did within the step timeout.
    public func waitForClose() async -> Bool {
        (try? await step { [self] () -> Bool in
            while true {
                let bytes = try socket.read()
                if bytes.isEmpty { return true }
                inbound.withLock { $0 += bytes }
            }
        }) ?? false
    }

    /// Closes the connection (the client sees end of stream).
    public func close() {
        socket.shutdown()
        socket.close()
    }

    private func readLineBytes() async throws -> [UInt8] {
        try await step { [self] () -> [UInt8] in
            while true {
                let line = inbound.withLock { buffer -> [UInt8]? in
                    guard let end = buffer.firstIndex(of: 0x0A) else { return nil }
                    defer { buffer.removeFirst(end + 1) }
                    return Array(buffer[..<end].dropLast(end > 0 && buffer[end - 1] == 0x0D ? 1 : 0))
                }
                if let line { return line }
                let bytes = try socket.read()
                guard !bytes.isEmpty else { throw ScriptedSMTPServer.Failure("the client closed the connection") }
                inbound.withLock { $0 += bytes }
            }
        }
    }

    private func step<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    deinit { socket.close() }
}
