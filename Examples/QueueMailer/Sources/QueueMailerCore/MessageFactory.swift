import Foundation
import TetherSMTP

/// Builds the SMTP message for a request, under the request's stable Message-ID.
public enum MessageFactory {
    /// The message for `request`: built from its fields, or its raw text with the envelope.
    ///
    /// - Throws: ``SMTPError`` when the builder refuses a field (the request then fails as bad data).
    public static func outgoingMessage(for request: SendRequest, messageID: String) throws -> OutgoingMessage {
        let recipients = try request.recipients.map { try EmailAddress($0.address, field: "recipient") }
        let sender = try EmailAddress(request.from.address, displayName: request.from.name, field: "from")
        if let raw = request.raw {
            return try OutgoingMessage(
                raw: Array(withMessageID(raw, messageID).utf8), sender: sender, recipients: recipients)
        }
        var email = Email(from: sender, subject: request.subject ?? "", messageID: messageID)
        email.to = try request.to.map { try address($0, "to") }
        email.cc = try request.cc.map { try address($0, "cc") }
        email.bcc = try request.bcc.map { try address($0, "bcc") }
        email.replyTo = try request.replyTo.map { [try address($0, "reply_to")] } ?? []
        email.text = request.text
        email.html = request.html
        email.headers = request.headers
        email.attachments = request.attachments.map { attachment in
            Attachment(filename: attachment.filename, contentType: attachment.contentType, content: attachment.content)
        }
        return try OutgoingMessage(email)
    }

    /// `raw` with a `Message-ID` field added at the top when its header has none, so a raw
    /// message is sent under the request's stable identifier too.
    static func withMessageID(_ raw: String, _ messageID: String) -> String {
        let header = raw.components(separatedBy: "\n\n").first ?? raw
        let end = header.range(of: "\r\n\r\n").map { header[..<$0.lowerBound] } ?? header[...]
        let hasID = end.split(whereSeparator: \.isNewline).contains { $0.lowercased().hasPrefix("message-id:") }
        return hasID ? raw : "Message-ID: <\(messageID)>\r\n" + raw
    }

    private static func address(_ mailbox: MailAddress, _ field: String) throws -> EmailAddress {
        try EmailAddress(mailbox.address, displayName: mailbox.name, field: field)
    }
}
