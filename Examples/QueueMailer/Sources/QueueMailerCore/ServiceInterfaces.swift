/// The queue as the running service sees it: one owner, one queue, one lease length.
///
/// ``QueueStore`` implements it over TetherODBC; the seam lets the service be the same for
/// PostgreSQL and SQLite.
public protocol MailQueue: Sendable {
    /// Claims up to `limit` ready requests with a lease, incrementing each one's attempt.
    func claim(limit: Int) async throws -> [ClaimedRequest]
    /// Extends the leases of `ids`, the claims this owner knows it holds; returns how many.
    func heartbeat(holding ids: [Int64]) async throws -> Int
    /// The attempt already recorded as sent for a request, if any.
    func sentAttempt(requestID: Int64) async throws -> Int?
    /// Writes results and their state changes in one transaction, each fenced by attempt.
    /// Returns how many state changes applied (the others had lost their claim).
    func write(_ results: [AttemptResult]) async throws -> Int
    /// Requeues requests whose lease expired, recording each lost attempt as unknown.
    func reapExpired() async throws -> Int
    /// Requests in the queue that are ready (now or later) or running.
    func unfinishedCount() async throws -> Int
    /// Ready requests whose run time is still to come, and how long until the first is due.
    func scheduledLater() async throws -> (count: Int, nextIn: Duration?)
}

/// What the relay did with one message.
public struct DeliveryReport: Sendable, Equatable {
    /// The verdict, deciding the attempt's outcome.
    public enum Verdict: Sendable, Equatable {
        /// Accepted for at least one recipient.
        case accepted
        /// Refused for now (4xx, or the connection failed before the end of data); the hint is
        /// the relay's "try again after" if it gave one.
        case transient(hint: Duration?)
        /// Refused for good (5xx), for every recipient or for the message.
        case permanent
        /// The end of data was sent but no final reply came: the relay may have the message.
        case ambiguous
        /// Nothing was sent because the send was cancelled (shutdown) before it began.
        case notStarted
        /// The request could not be turned into a message.
        case badMessage
        /// The relay could not be reached or refused the session (connect refused or timed
        /// out, 421 greeting, TLS handshake, login refused, a session dead before this
        /// message's MAIL FROM): nothing is known about the message, so the attempt is not
        /// counted against its limit and the relay gate closes.
        case relayUnavailable
    }

    /// The verdict.
    public var verdict: Verdict
    /// The reply code that decided it, if a reply did.
    public var code: Int?
    /// The enhanced status code.
    public var enhancedCode: String?
    /// The reply text, or the error's description.
    public var detail: String
    /// Per-recipient replies.
    public var recipients: [RecipientResult]
    /// From the first byte of the transaction to the final reply, when there was one.
    public var latency: Duration?

    public init(
        verdict: Verdict, code: Int? = nil, enhancedCode: String? = nil, detail: String,
        recipients: [RecipientResult] = [], latency: Duration? = nil
    ) {
        self.verdict = verdict
        self.code = code
        self.enhancedCode = enhancedCode
        self.detail = detail
        self.recipients = recipients
        self.latency = latency
    }
}

/// Hands one message to the relay and says what happened; never throws, every way a send
/// can end is a ``DeliveryReport``.
public protocol MailTransport: Sendable {
    /// Sends `request` under `messageID`.
    func deliver(_ request: SendRequest, messageID: String) async -> DeliveryReport

    /// Opens one session to the relay and closes it: `nil` when the relay answered and
    /// accepted the login, else why not. The relay gate's probe.
    func probe() async -> String?
}
