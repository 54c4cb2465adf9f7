import Foundation

/// A message to build: addresses, subject, text and HTML bodies, attachments, extra headers.
///
/// ```swift
/// var email = Email(from: try EmailAddress("ops@example.com"), subject: "Nightly report")
/// email.to = [try EmailAddress("ada@example.com", displayName: "Ada")]
/// email.text = "All jobs finished."
/// email.html = "<p>All jobs finished.</p>"
/// let message = try OutgoingMessage(email)
/// ```
///
/// The `Message-ID` and `Date` are fixed when the value is made, so rendering the same
/// value twice (a retry) gives the same identifier.
public struct Email: Sendable {
    /// The author (`From`), also the envelope sender unless ``sender`` is set.
    public var from: EmailAddress
    /// An envelope sender (`MAIL FROM`) different from ``from``, such as a bounce address.
    /// Defaults to `nil` (use ``from``).
    public var sender: EmailAddress?
    /// `To` recipients. Defaults to none.
    public var to: [EmailAddress] = []
    /// `Cc` recipients. Defaults to none.
    public var cc: [EmailAddress] = []
    /// Blind recipients: in the envelope, never in a header. Defaults to none.
    public var bcc: [EmailAddress] = []
    /// `Reply-To` addresses. Defaults to none.
    public var replyTo: [EmailAddress] = []
    /// The subject; non-ASCII text is encoded as RFC 2047 words. Defaults to empty.
    public var subject: String
    /// The plain-text body. Defaults to `nil`.
    public var text: String?
    /// The HTML body; with ``text`` the two form a multipart/alternative. Defaults to `nil`.
    public var html: String?
    /// Files attached, or inline parts referenced from the HTML by `cid:`. Defaults to none.
    public var attachments: [Attachment] = []
    /// Extra header fields, in order. Names must be printable ASCII without a colon; values
    /// must hold no control characters. Defaults to none.
    public var headers: [(name: String, value: String)] = []
    /// The `Message-ID` without angle brackets. Defaults to a random identifier at the
    /// domain of ``from``; supply your own to keep it stable across processes.
    public var messageID: String
    /// The `Date` header. Defaults to the moment the value was made.
    public var date: Date

    /// A message from `from` with `subject`, a fresh `Message-ID` and the current date.
    public init(from: EmailAddress, subject: String = "", messageID: String? = nil, date: Date = Date()) {
        self.from = from
        self.subject = subject
        self.messageID = messageID ?? Self.generateMessageID(domain: from.domain)
        self.date = date
    }

    /// A random `Message-ID` at `domain`, without angle brackets.
    public static func generateMessageID(domain: String) -> String {
        let random = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return "\(random).tether@\(domain)"
    }

    /// Every envelope recipient: `to`, `cc` and `bcc`, first occurrence of each address kept.
    public var envelopeRecipients: [EmailAddress] {
        var seen = Set<String>()
        return (to + cc + bcc).filter { seen.insert($0.address.lowercased()).inserted }
    }
}

/// A file attached to an ``Email``, or an inline part referenced from its HTML.
public struct Attachment: Sendable {
    /// The file name shown to the reader; non-ASCII names are encoded (RFC 2231).
    public var filename: String
    /// The media type, such as `application/pdf`. Defaults to `application/octet-stream`.
    public var contentType: String
    /// The bytes, sent base64-encoded.
    public var content: [UInt8]
    /// For an inline part, the `Content-ID` the HTML refers to as `cid:`. Defaults to `nil`
    /// (an ordinary attachment).
    public var contentID: String?

    /// An attachment named `filename` holding `content`.
    public init(
        filename: String, contentType: String = "application/octet-stream", content: [UInt8],
        contentID: String? = nil
    ) {
        self.filename = filename
        self.contentType = contentType
        self.content = content
        self.contentID = contentID
    }
}
