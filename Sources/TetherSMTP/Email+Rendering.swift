import Foundation

extension Email {
    /// The RFC 5322 message: header fields, then MIME body parts, every line ended by CRLF
    /// and no line longer than 998 octets. Not yet dot-stuffed; that happens on the wire.
    ///
    /// - Throws: ``SMTPError`` naming the field when a header is malformed, duplicates one the
    ///   builder writes, or holds a control character.
    public func render() throws(SMTPError) -> [UInt8] {
        var output: [UInt8] = []
        for (name, value) in try headerFields() {
            output.append(contentsOf: HeaderEncoding.field(name, value))
        }
        output.append(contentsOf: try bodyPart().rendered(boundarySeed: boundarySeed))
        return output
    }

    private static let reservedHeaders: Set<String> = [
        "from", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "mime-version",
        "content-type", "content-transfer-encoding", "content-disposition",
    ]

    private func headerFields() throws(SMTPError) -> [(String, String)] {
        var fields: [(String, String)] = [("Date", RFC5322Date.string(from: date)), ("From", Self.mailboxList([from]))]
        if !to.isEmpty { fields.append(("To", Self.mailboxList(to))) }
        if !cc.isEmpty { fields.append(("Cc", Self.mailboxList(cc))) }
        if !replyTo.isEmpty { fields.append(("Reply-To", Self.mailboxList(replyTo))) }
        if subject.utf8.contains(where: EmailAddress.isControl) { throw SMTPError.controlCharacter(in: "subject") }
        fields.append(("Subject", HeaderEncoding.encodedText(subject)))
        guard messageID.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != 0x3C && $0 != 0x3E }),
            messageID.contains("@"), messageID.utf8.count <= 900
        else {
            throw SMTPError.invalid(
                "messageID", "a Message-ID is printable ASCII 'left@right' without <>, at most 900 octets")
        }
        fields.append(("Message-ID", "<\(messageID)>"))
        fields.append(("MIME-Version", "1.0"))
        for (index, header) in headers.enumerated() {
            fields.append(try Self.checked(header, field: "headers[\(index)]"))
        }
        return fields
    }

    private static func checked(_ header: (name: String, value: String), field: String) throws(SMTPError)
        -> (String, String)
    {
        let name = header.name
        guard !name.isEmpty, name.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != UInt8(ascii: ":") }) else {
            throw SMTPError.invalid(field, "a header name is printable ASCII without ':' or spaces")
        }
        guard !reservedHeaders.contains(name.lowercased()) else {
            throw SMTPError.invalid(field, "the header \(name) is written by the builder; set its property instead")
        }
        if header.value.utf8.contains(where: EmailAddress.isControl) {
            throw SMTPError.controlCharacter(in: "\(field) (\(name))")
        }
        let value = HeaderEncoding.encodedText(header.value)
        guard value.split(separator: " ").allSatisfy({ $0.utf8.count + name.utf8.count + 2 <= 998 }) else {
            throw SMTPError.invalid(field, "the header \(name) has a word too long to fold under 998 octets")
        }
        return (name, value)
    }

    private static func mailboxList(_ addresses: [EmailAddress]) -> String {
        addresses.map { address in
            guard let name = address.displayName else { return address.address }
            return "\(HeaderEncoding.phrase(name)) <\(address.address)>"
        }.joined(separator: ", ")
    }

    private var boundarySeed: String {
        String(UInt32(truncatingIfNeeded: messageID.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) }), radix: 36)
    }

    private func bodyPart() throws(SMTPError) -> MIMEPart {
        var body: MIMEPart
        switch (text, html) {
        case (let text?, let html?):
            body = .multipart("alternative", [.text(text, subtype: "plain"), .text(html, subtype: "html")])
        case (nil, let html?): body = .text(html, subtype: "html")
        case (let text?, nil): body = .text(text, subtype: "plain")
        case (nil, nil): body = .text("", subtype: "plain")
        }
        let inline = attachments.filter { $0.contentID != nil }
        let attached = attachments.filter { $0.contentID == nil }
        if !inline.isEmpty {
            body = .multipart("related", [body] + (try inline.map(MIMEPart.attachment)))
        }
        if !attached.isEmpty {
            body = .multipart("mixed", [body] + (try attached.map(MIMEPart.attachment)))
        }
        return body
    }
}
