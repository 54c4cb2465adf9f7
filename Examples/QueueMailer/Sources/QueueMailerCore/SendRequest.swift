import Foundation

/// One message to send, as `enqueue` reads it (one JSON object per line) and the queue stores it.
///
/// ```json
/// {"idempotency_key": "order-1042-shipped", "from": {"name": "Shop", "address": "shop@example.com"},
///  "to": ["ana@example.org"], "subject": "Your order has shipped", "text": "Hello Ana, ..."}
/// ```
///
/// Fields: `idempotency_key` (required, unique: enqueueing the same key twice stores it once),
/// `queue`, `priority` (higher first), `send_at` (ISO 8601), `max_attempts`, `message_id`,
/// `from` (required), `reply_to`, `to`, `cc`, `bcc` (at least one recipient in all), `subject`,
/// `text`, `html` (at least one of the two), `headers` (an object), `attachments`
/// (`filename`, `content_type`, and `content_base64` or `content_text`), or instead of the
/// message fields `raw`: a complete RFC 5322 message. Addresses are strings or
/// `{"name": ..., "address": ...}` objects.
public struct SendRequest: Sendable, Equatable {
    /// A file attached to the message.
    public struct Attachment: Sendable, Equatable {
        /// The file name shown to the recipient; any Unicode text without control characters or slashes.
        public var filename: String
        /// The MIME type, `type/subtype`.
        public var contentType: String
        /// The file's bytes.
        public var content: [UInt8]
    }

    /// Unique per request; a second request with the same key is not stored again.
    public var idempotencyKey: String
    /// The queue the request waits in. Defaults to `default`.
    public var queue = "default"
    /// Higher priorities are claimed first. Defaults to 0.
    public var priority = 0
    /// The earliest time to send. Defaults to `nil`: at once.
    public var sendAt: Date?
    /// Attempts before the request fails. Defaults to `nil`: the configured default.
    public var maxAttempts: Int?
    /// The Message-ID without angle brackets, fixed at enqueue so every attempt uses the same one.
    public var messageID: String?
    /// The sender, also the envelope sender.
    public var from: MailAddress
    /// Where replies go. Defaults to `nil`: to the sender.
    public var replyTo: MailAddress?
    /// Recipients shown in `To`.
    public var to: [MailAddress] = []
    /// Recipients shown in `Cc`.
    public var cc: [MailAddress] = []
    /// Recipients not shown in the message.
    public var bcc: [MailAddress] = []
    /// The subject, any Unicode text without line breaks.
    public var subject: String?
    /// The plain-text body.
    public var text: String?
    /// The HTML body; with ``text`` too, the message is multipart/alternative.
    public var html: String?
    /// Extra header fields, in order; the fields above cannot be set here.
    public var headers: [(name: String, value: String)] = []
    /// Attached files.
    public var attachments: [Attachment] = []
    /// A complete RFC 5322 message sent as it is, instead of the message fields.
    public var raw: String?

    /// A request with the required fields.
    public init(idempotencyKey: String, from: MailAddress) {
        self.idempotencyKey = idempotencyKey
        self.from = from
    }

    /// Every envelope recipient: `to`, then `cc`, then `bcc`.
    public var recipients: [MailAddress] { to + cc + bcc }

    public static func == (lhs: SendRequest, rhs: SendRequest) -> Bool {
        lhs.idempotencyKey == rhs.idempotencyKey && lhs.queue == rhs.queue && lhs.priority == rhs.priority
            && lhs.sendAt == rhs.sendAt && lhs.maxAttempts == rhs.maxAttempts && lhs.messageID == rhs.messageID
            && lhs.from == rhs.from && lhs.replyTo == rhs.replyTo && lhs.to == rhs.to && lhs.cc == rhs.cc
            && lhs.bcc == rhs.bcc && lhs.subject == rhs.subject && lhs.text == rhs.text && lhs.html == rhs.html
            && lhs.headers.elementsEqual(rhs.headers, by: { $0 == $1 }) && lhs.attachments == rhs.attachments
            && lhs.raw == rhs.raw
    }

    /// Header fields set through their own request fields, refused in `headers`.
    public static let reservedHeaders: Set<String> = [
        "from", "sender", "reply-to", "to", "cc", "bcc", "subject", "message-id", "date", "mime-version",
        "content-type", "content-transfer-encoding", "content-disposition",
    ]

    /// What a queue name may look like.
    public static let queueNameRule = "must be 1 to 64 letters, digits, '.', '_' or '-'"

    /// Whether `name` follows ``queueNameRule``.
    public static func isValidQueueName(_ name: String) -> Bool {
        (1...64).contains(name.count)
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    /// A new Message-ID for a request from `sender`: random, in the sender's domain.
    public static func makeMessageID(for sender: MailAddress) -> String {
        "\(UUID().uuidString.lowercased())@\(sender.domain)"
    }
}
