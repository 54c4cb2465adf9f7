import Synchronization
import TetherLocking
import TetherNet

/// An in-memory ``ByteStream`` whose far end a test plays step by step: it reads what the
/// client wrote, sends replies (split however it likes), closes, or stays silent.
///
/// Deadlines and cancellation behave as the protocol promises: either ends the pending
/// operation and closes the stream.
///
/// ```swift
/// let stream = ScriptedByteStream()
/// stream.send("220 ready\r\n")
/// let line = try await stream.nextLine()   // "EHLO localhost"
/// ```
public final class ScriptedByteStream: ByteStream {
    /// What ``startTLS(_:serverName:deadline:)`` does.
    public enum TLSBehavior: Sendable {
        /// The upgrade succeeds at once (nothing is encrypted: this is a script).
        case succeed
        /// The handshake never completes; the deadline or cancellation ends it.
        case stall
    }

    /// A failure of the scripted stream.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
    }

    struct State {
        var inbound: [UInt8] = []
        var peerClosed = false
        var closed = false
        var secure = false
        var written: [UInt8] = []
        var transcript: [UInt8] = []
        var writeCount = 0
        var reader: CheckedContinuation<[UInt8], any Error>?
        var readerMaximum = 0
        /// Numbers each read and handshake, so a deadline timer acts only on the wait it guards.
        var waitNumber = 0
        var lineWaiter: CheckedContinuation<Void, Never>?
        var tlsUpgrades = 0
        var tlsWaiter: CheckedContinuation<Void, any Error>?
    }

    let state = Locked(State())
    /// Whether the stream claims a loopback peer.
    public let isLoopback: Bool
    /// What STARTTLS does.
    public let tlsBehavior: TLSBehavior

    /// A stream with nothing sent yet.
    public init(isLoopback: Bool = true, tlsBehavior: TLSBehavior = .succeed) {
        self.isLoopback = isLoopback
        self.tlsBehavior = tlsBehavior
    }

    public var isSecure: Bool { state.withLock { $0.secure } }

    /// Whether the client closed the stream (or a deadline or cancellation did).
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// How many writes the client made: a pipelined command group is one.
    public var writeCount: Int { state.withLock { $0.writeCount } }

    /// Whether a stalled TLS handshake is waiting (``TLSBehavior/stall``).
    public var isTLSPending: Bool { state.withLock { $0.tlsWaiter != nil } }

    /// How many TLS upgrades succeeded.
    public var tlsUpgrades: Int { state.withLock { $0.tlsUpgrades } }

    /// Everything the client wrote so far, including what ``nextLine()`` consumed.
    public var transcript: [UInt8] { state.withLock { $0.transcript } }

    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws {
        try Task.checkCancellation()
        let waiter = try state.withLock { state throws -> CheckedContinuation<Void, Never>? in
            guard !state.closed else { throw Failure(description: "write on a closed stream") }
            guard !state.peerClosed else { throw Failure(description: "connection reset by the scripted peer") }
            state.written.append(contentsOf: bytes)
            state.transcript.append(contentsOf: bytes)
            state.writeCount += 1
            defer { state.lineWaiter = nil }
            return state.lineWaiter
        }
        waiter?.resume()
    }

    public func close() {
        let (reader, tls, lineWaiter) = state.withLock { state in
            state.closed = true
            defer { (state.reader, state.tlsWaiter, state.lineWaiter) = (nil, nil, nil) }
            return (state.reader, state.tlsWaiter, state.lineWaiter)
        }
        reader?.resume(throwing: Failure(description: "stream closed"))
        tls?.resume(throwing: Failure(description: "stream closed"))
        lineWaiter?.resume()
    }
}
