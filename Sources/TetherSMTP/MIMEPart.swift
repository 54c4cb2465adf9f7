/// A MIME body part, rendered with its own header fields.
indirect enum MIMEPart {
    case text(String, subtype: String)
    case binary(headers: [(String, String)], content: [UInt8])
    case multipart(String, [MIMEPart])

    static func attachment(_ attachment: Attachment) throws(SMTPError) -> MIMEPart {
        let field = "attachment \(attachment.filename)"
        let type = attachment.contentType
        guard type.utf8.allSatisfy({ (0x21...0x7E).contains($0) }), type.contains("/") else {
            throw SMTPError.invalid(field, "the content type '\(type)' is not type/subtype")
        }
        if attachment.filename.utf8.contains(where: EmailAddress.isControl) {
            throw SMTPError.controlCharacter(in: "\(field) filename")
        }
        guard !attachment.filename.isEmpty, attachment.filename.utf8.count <= 255 else {
            throw SMTPError.invalid(field, "a file name is 1 to 255 octets")
        }
        let name = parameterValue(attachment.filename)
        var headers = [("Content-Type", "\(type); name\(name)")]
        headers.append(("Content-Transfer-Encoding", "base64"))
        if let id = attachment.contentID {
            guard id.utf8.allSatisfy({ (0x21...0x7E).contains($0) && $0 != 0x3C && $0 != 0x3E }) else {
                throw SMTPError.invalid(field, "a Content-ID is printable ASCII without <>")
            }
            headers.append(("Content-ID", "<\(id)>"))
            headers.append(("Content-Disposition", "inline; filename\(name)"))
        } else {
            headers.append(("Content-Disposition", "attachment; filename\(name)"))
        }
        return .binary(headers: headers, content: attachment.content)
    }

    /// `="name"` for ASCII names, `*=UTF-8''percent-encoded` (RFC 2231) for others.
    private static func parameterValue(_ name: String) -> String {
        if HeaderEncoding.isPlainASCII(name) && !name.contains("\"") && !name.contains("\\") {
            return "=\"\(name)\""
        }
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        let encoded = name.utf8.map { byte in
            unreserved.contains(byte) ? String(UnicodeScalar(byte)) : "%" + hex(byte)
        }.joined()
        return "*=UTF-8''\(encoded)"
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }

    func rendered(boundarySeed: String, depth: Int = 0) -> [UInt8] {
        switch self {
        case .text(let text, let subtype):
            let normalized = ContentEncoding.normalizeLineEndings(text.utf8)
            let isASCII = normalized.allSatisfy { $0 < 0x80 }
            let plain =
                isASCII && ContentEncoding.longestLine(normalized) <= ContentEncoding.maximumLineLength
                && !text.contains("=_tether")
            var output = HeaderEncoding.field("Content-Type", "text/\(subtype); charset=utf-8")
            output += HeaderEncoding.field("Content-Transfer-Encoding", plain ? "7bit" : "quoted-printable")
            output += [ContentEncoding.cr, ContentEncoding.lf]
            return output + (plain ? normalized : QuotedPrintable.encode(normalized))
        case .binary(let headers, let content):
            var output = headers.flatMap { HeaderEncoding.field($0.0, $0.1) }
            output += [ContentEncoding.cr, ContentEncoding.lf]
            return output + ContentEncoding.base64Lines(content)
        case .multipart(let subtype, let parts):
            let boundary = "=_tether_\(depth)_\(boundarySeed)"
            var output = HeaderEncoding.field("Content-Type", "multipart/\(subtype); boundary=\"\(boundary)\"")
            output += [ContentEncoding.cr, ContentEncoding.lf]
            for part in parts {
                output += Array("--\(boundary)\r\n".utf8)
                output += part.rendered(boundarySeed: boundarySeed, depth: depth + 1)
            }
            return output + Array("--\(boundary)--\r\n".utf8)
        }
    }
}
