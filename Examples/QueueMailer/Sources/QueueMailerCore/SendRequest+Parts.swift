import Foundation

extension SendRequest {
    /// An address given as `"a@b"` or `{"name": ..., "address": ...}` at `field`; an error in
    /// the object form names the member at fault (`to[0].address`, `from.name`).
    static func address(_ value: JSONValue, _ reader: FieldReader, _ field: String) throws -> MailAddress {
        switch value {
        case .string(let text):
            switch MailAddress.validated(name: nil, address: text) {
            case .success(let mailbox): return mailbox
            case .failure(let problem): throw reader.error(field, problem.reason)
            }
        case .object:
            let inner = try FieldReader(value, path: reader.fieldPath(field), kind: .request)
            try inner.rejectUnknownKeys(["name", "address"])
            let name = try inner.string("name")
            let address = try inner.requiredString("address")
            if case .failure(let problem) = MailAddress.validated(name: nil, address: address) {
                throw inner.error("address", problem.reason)
            }
            switch MailAddress.validated(name: name, address: address) {
            case .success(let mailbox): return mailbox
            case .failure(let problem): throw inner.error("name", problem.reason)
            }
        default:
            throw reader.error(field, "expected an address string or {\"name\", \"address\"}, found \(value.typeName)")
        }
    }

    /// A list of addresses at `field`; a single address is accepted as a list of one.
    static func addresses(_ reader: FieldReader, _ field: String) throws -> [MailAddress] {
        guard let value = reader.value(field) else { return [] }
        guard case .array(let elements) = value else { return [try address(value, reader, field)] }
        return try elements.enumerated().map { index, element in
            try address(element, reader, "\(field)[\(index)]")
        }
    }

    static func readHeaders(_ reader: FieldReader) throws -> [(name: String, value: String)] {
        guard let section = try reader.object("headers") else { return [] }
        return try section.object.keys.sorted().map { name in
            guard !name.isEmpty, name.count <= 76,
                name.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != ":" })
            else {
                throw section.error(name, "is not a header field name (printable ASCII, no spaces or colons)")
            }
            guard !reservedHeaders.contains(name.lowercased()) else {
                throw section.error(name, "is set through its own request field, not headers")
            }
            let value = try section.requiredString(name)
            guard !value.unicodeScalars.contains(where: \.isControl) else {
                throw section.error(name, "contains a line break or other control character")
            }
            return (name, value)
        }
    }

    static func readAttachments(_ reader: FieldReader) throws -> [Attachment] {
        guard let elements = try reader.array("attachments") else { return [] }
        var total = 0
        return try elements.enumerated().map { index, element in
            let part = try FieldReader(element, path: reader.fieldPath("attachments[\(index)]"), kind: .request)
            let attachment = try readAttachment(part)
            total += attachment.content.count
            guard total <= maximumAttachmentBytes else {
                let field = part.value("content_text") != nil ? "content_text" : "content_base64"
                throw part.error(field, "attachments total more than \(maximumAttachmentBytes >> 20) MiB")
            }
            return attachment
        }
    }

    private static func readAttachment(_ part: FieldReader) throws -> Attachment {
        try part.rejectUnknownKeys(["filename", "content_type", "content_base64", "content_text"])
        let filename = try part.requiredString("filename")
        guard filename.count <= 255, !filename.unicodeScalars.contains(where: { $0.isControl || $0 == "/" }) else {
            throw part.error("filename", "must be at most 255 characters without control characters or slashes")
        }
        let contentType = try part.string("content_type") ?? "application/octet-stream"
        guard isMediaType(contentType) else {
            throw part.error(
                "content_type", "expected a MIME type such as \"application/pdf\", found \"\(contentType)\"")
        }
        switch (try part.string("content_base64"), try part.string("content_text")) {
        case (let base64?, nil):
            let compact = base64.filter { !$0.isWhitespace }
            guard let data = Data(base64Encoded: compact) else {
                throw part.error("content_base64", "is not valid base64")
            }
            return Attachment(filename: filename, contentType: contentType, content: Array(data))
        case (nil, let text?):
            return Attachment(filename: filename, contentType: contentType, content: Array(text.utf8))
        case (nil, nil):
            throw part.error("content_base64", "an attachment needs content_base64 or content_text")
        case (.some, .some):
            throw part.error("content_text", "give content_base64 or content_text, not both")
        }
    }

    private static func isMediaType(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let token = { (part: Substring) in
            !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "!#$&^_.+-".contains($0)) }
        }
        return parts.count == 2 && token(parts[0]) && token(parts[1])
    }

    /// Parses an ISO 8601 time with or without fractional seconds.
    static func parseTimestamp(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
