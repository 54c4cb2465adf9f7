/// What one SMTP transaction sends: the envelope and the content, checked and normalised.
///
/// Made from an ``Email`` (rendered by the builder) or from a raw RFC 5322 message. Either
/// way the content has CRLF line endings only and no line over 998 octets; dots are stuffed
/// when it is written.
public struct OutgoingMessage: Sendable {
    /// The envelope sender (`MAIL FROM`); `nil` sends the null reverse-path `<>` used by bounces.
    public var sender: EmailAddress?
    /// The envelope recipients (`RCPT TO`), in order.
    public var recipients: [EmailAddress]
    /// The CRLF-normalised message, header and body, before dot stuffing.
    public let content: [UInt8]
    /// The `Message-ID` when known (from the builder), for events and reports.
    public let messageID: String?
    /// Whether recipients may be partly refused. Defaults to ``RecipientPolicy/partialAllowed``.
    public var recipientPolicy: RecipientPolicy = .partialAllowed
    /// Delivery status notification parameters (RFC 3461), sent when the server offers DSN.
    /// Defaults to `nil` (none).
    public var deliveryNotification: DeliveryNotification?

    /// The message built by `email`, to all of its `to`, `cc` and `bcc` addresses.
    ///
    /// - Throws: ``SMTPError`` when a header is malformed or there is no recipient.
    public init(_ email: Email) throws(SMTPError) {
        let recipients = email.envelopeRecipients
        guard !recipients.isEmpty else { throw SMTPError.invalid("recipients", "the message has no recipient") }
        self.sender = email.sender ?? email.from
        self.recipients = recipients
        self.content = try email.render()
        self.messageID = email.messageID
    }

    /// A raw RFC 5322 message sent as given, apart from normalising line endings to CRLF.
    ///
    /// - Throws: ``SMTPError`` when there is no recipient, or a line is longer than 998
    ///   octets (a raw message cannot be re-encoded without changing it).
    public init(raw: some Collection<UInt8>, sender: EmailAddress?, recipients: [EmailAddress])
        throws(SMTPError)
    {
        guard !recipients.isEmpty else { throw SMTPError.invalid("recipients", "the message has no recipient") }
        let content = ContentEncoding.normalizeLineEndings(raw)
        let longest = ContentEncoding.longestLine(content)
        guard longest <= ContentEncoding.maximumLineLength else {
            throw SMTPError.invalid("raw", "a line is \(longest) octets long; SMTP allows 998 (encode the body)")
        }
        self.sender = sender
        self.recipients = recipients
        self.content = content
        self.messageID = nil
    }

    /// Whether the content holds bytes over 0x7F and so wants `BODY=8BITMIME`.
    public var is8Bit: Bool { content.contains { $0 >= 0x80 } }

    /// Whether an envelope address needs SMTPUTF8.
    public var requiresSMTPUTF8: Bool {
        (sender?.requiresSMTPUTF8 ?? false) || recipients.contains(where: \.requiresSMTPUTF8)
    }
}

/// Whether a message goes out when only some recipients were accepted.
public struct RecipientPolicy: Sendable, Hashable {
    private let requiresAll: Bool

    /// Send to the accepted recipients and report the refused ones. The default.
    public static let partialAllowed = RecipientPolicy(requiresAll: false)
    /// Send only if every recipient was accepted; otherwise reset and fail with
    /// ``SMTPError/Code/recipientsRejected``.
    public static let allOrNothing = RecipientPolicy(requiresAll: true)

    var isAllOrNothing: Bool { requiresAll }
}

/// DSN parameters (RFC 3461) for MAIL FROM and RCPT TO.
public struct DeliveryNotification: Sendable, Hashable {
    /// When to notify: any of `SUCCESS`, `FAILURE`, `DELAY`, or `NEVER` alone. Defaults to `["FAILURE"]`.
    public var notify: [String] = ["FAILURE"]
    /// Return the full message (`FULL`) or headers only (`HDRS`) in a bounce. Defaults to `HDRS`.
    public var returnContent: String = "HDRS"
    /// An envelope identifier (`ENVID`), printable ASCII. Defaults to `nil`.
    public var envelopeID: String?

    /// Failure notifications with headers only.
    public init() {}
}
