/// What a server offers, read from its EHLO reply.
public struct SMTPCapabilities: Sendable, Hashable {
    /// Each keyword in upper case, with its parameters.
    public let keywords: [String: [String]]

    /// No extensions: what a HELO session gets.
    public init() { keywords = [:] }

    /// The capabilities listed in `reply`, the server's answer to EHLO (its first line is
    /// the greeting and names no extension).
    public init(ehloReply reply: SMTPReply) {
        var keywords: [String: [String]] = [:]
        for line in reply.lines.dropFirst() {
            let words = line.split(separator: " ").map(String.init)
            guard let keyword = words.first?.uppercased() else { continue }
            keywords[keyword] = Array(words.dropFirst())
        }
        self.keywords = keywords
    }

    /// Whether `keyword` is offered.
    public func offers(_ keyword: String) -> Bool { keywords[keyword.uppercased()] != nil }

    /// PIPELINING (RFC 2920).
    public var pipelining: Bool { offers("PIPELINING") }
    /// STARTTLS (RFC 3207).
    public var startTLS: Bool { offers("STARTTLS") }
    /// 8BITMIME (RFC 6152).
    public var eightBitMIME: Bool { offers("8BITMIME") }
    /// SMTPUTF8 (RFC 6531).
    public var smtpUTF8: Bool { offers("SMTPUTF8") }
    /// ENHANCEDSTATUSCODES (RFC 2034).
    public var enhancedStatusCodes: Bool { offers("ENHANCEDSTATUSCODES") }
    /// DSN (RFC 3461).
    public var deliveryStatusNotification: Bool { offers("DSN") }

    /// The SIZE limit in octets (RFC 1870); `nil` when SIZE is not offered or has no limit.
    public var maximumSize: Int? {
        guard let value = keywords["SIZE"]?.first, let size = Int(value), size > 0 else { return nil }
        return size
    }

    /// The AUTH mechanisms, upper case.
    public var authenticationMechanisms: Set<String> {
        Set((keywords["AUTH"] ?? []).map { $0.uppercased() })
    }
}
