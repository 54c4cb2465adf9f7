import Foundation

/// One complete SMTP reply: a three-digit code and one or more lines of text.
public struct SMTPReply: Sendable, Hashable, CustomStringConvertible {
    /// The three-digit reply code, 200...599.
    public let code: Int
    /// The text of each line after the code and separator, without CRLF.
    public let lines: [String]

    /// Makes a reply; used by parsers and by tests that script a server.
    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// The enhanced status code (RFC 3463) at the start of the first line, when present.
    public var enhancedCode: EnhancedStatusCode? {
        guard let first = lines.first, let word = first.split(separator: " ").first else { return nil }
        guard let status = EnhancedStatusCode(String(word)), status.classDigit == code / 100 else { return nil }
        return status
    }

    /// The text of all lines joined by a space, with the enhanced status code removed.
    public var text: String {
        var parts = lines
        if let enhanced = enhancedCode, let first = parts.first {
            parts[0] = String(first.dropFirst(enhanced.description.count).drop { $0 == " " })
        }
        return parts.joined(separator: " ")
    }

    /// 2xx: the command succeeded.
    public var isPositive: Bool { (200..<300).contains(code) }
    /// 3xx: the server waits for more (354 after DATA, 334 during AUTH).
    public var isIntermediate: Bool { (300..<400).contains(code) }
    /// 4xx: a transient failure.
    public var isTransient: Bool { (400..<500).contains(code) }
    /// 5xx: a permanent failure.
    public var isPermanent: Bool { (500..<600).contains(code) }

    /// The queue identifier the server reported on accepting a message ("queued as X"), if any.
    public var queueID: String? {
        let words = text.split(separator: " ")
        guard let index = words.firstIndex(where: { $0.lowercased() == "as" }), index + 1 < words.count else {
            return nil
        }
        return String(words[index + 1].trimmingCharacters(in: ["<", ">", ".", ",", ")"]))
    }

    public var description: String {
        lines.isEmpty ? "\(code)" : "\(code) " + lines.joined(separator: " / ")
    }
}

/// An RFC 3463 enhanced status code such as `5.1.1`.
public struct EnhancedStatusCode: Sendable, Hashable, CustomStringConvertible {
    /// 2 (success), 4 (transient) or 5 (permanent).
    public let classDigit: Int
    /// The subject (address, mailbox, network, ...).
    public let subject: Int
    /// The detail within the subject.
    public let detail: Int

    /// Parses `class.subject.detail`; `nil` when `text` is not one.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ (1...3).contains($0.count) && $0.allSatisfy(\.isASCIIDigit) }),
            let classDigit = Int(parts[0]), [2, 4, 5].contains(classDigit),
            let subject = Int(parts[1]), let detail = Int(parts[2])
        else { return nil }
        self.classDigit = classDigit
        self.subject = subject
        self.detail = detail
    }

    public var description: String { "\(classDigit).\(subject).\(detail)" }
}

/// The server's answer for one recipient.
public struct RecipientResult: Sendable, Hashable, CustomStringConvertible {
    /// The recipient as given in RCPT TO.
    public let recipient: EmailAddress
    /// The reply to its RCPT TO command.
    public let reply: SMTPReply

    /// Whether the server took the recipient.
    public var isAccepted: Bool { reply.isPositive }

    public var description: String { "<\(recipient.address)>: \(reply)" }
}

/// A phase of an SMTP session, for errors and events.
public struct SMTPPhase: Sendable, Hashable, CustomStringConvertible {
    private let name: String

    /// Checking the message and configuration before any byte is written.
    public static let validation = SMTPPhase(name: "validation")
    /// Opening the TCP connection.
    public static let connect = SMTPPhase(name: "connect")
    /// Waiting for the server's 220 greeting.
    public static let greeting = SMTPPhase(name: "greeting")
    /// EHLO or HELO.
    public static let hello = SMTPPhase(name: "hello")
    /// STARTTLS and the TLS handshake (or the implicit-TLS handshake).
    public static let tls = SMTPPhase(name: "tls")
    /// AUTH.
    public static let authentication = SMTPPhase(name: "authentication")
    /// MAIL FROM.
    public static let mailFrom = SMTPPhase(name: "mail-from")
    /// RCPT TO.
    public static let recipient = SMTPPhase(name: "rcpt-to")
    /// DATA, until the 354 reply.
    public static let data = SMTPPhase(name: "data")
    /// Writing the message content and its terminator.
    public static let content = SMTPPhase(name: "content")
    /// Waiting for the reply after the end-of-data terminator.
    public static let endOfData = SMTPPhase(name: "end-of-data")
    /// RSET between messages.
    public static let reset = SMTPPhase(name: "reset")
    /// NOOP health check of an idle connection.
    public static let noop = SMTPPhase(name: "noop")
    /// QUIT.
    public static let quit = SMTPPhase(name: "quit")

    public var description: String { name }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
