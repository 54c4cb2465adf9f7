/// A bidirectional byte stream whose every operation ends by a deadline.
///
/// ``TCPStream`` is the production conformer; the SMTP client is written against this
/// protocol so that its state handling can be tested over an in-memory stream as well.
///
/// Every method ends in one of three ways: it completes, it throws ``NetworkError``
/// (the deadline passed, the peer reset or closed, TLS failed), or it throws
/// `CancellationError` because the calling task was cancelled. Cancellation and an
/// expired deadline both close the stream at once: a stream that failed mid-operation
/// is never handed back for reuse.
public protocol ByteStream: AnyObject, Sendable {
    /// Writes all of `bytes`, in one system call where the kernel takes them at once.
    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws

    /// Reads what is available, at most `maximumCount` bytes, waiting until at least one
    /// byte arrives. An empty result means the peer closed its side (end of stream).
    func read(maximumCount: Int, deadline: ContinuousClock.Instant) async throws -> [UInt8]

    /// Upgrades the plaintext stream to TLS in place (STARTTLS).
    ///
    /// - Throws: ``NetworkError`` when bytes were already buffered before the handshake
    ///   (they could only have been injected by someone in the middle), when the
    ///   handshake fails, or when the deadline passes.
    func startTLS(_ configuration: TLSConfiguration, serverName: String?, deadline: ContinuousClock.Instant)
        async throws

    /// Whether the stream runs over TLS now.
    var isSecure: Bool { get }

    /// Whether the peer is on a loopback address (127.0.0.0/8 or ::1).
    var isLoopback: Bool { get }

    /// Closes the stream; pending and later operations fail. Idempotent.
    func close()
}
