import Foundation

extension SendRequest {
    /// The fields a request may have.
    static let fields: Set<String> = [
        "idempotency_key", "queue", "priority", "send_at", "max_attempts", "message_id", "from", "reply_to",
        "to", "cc", "bcc", "subject", "text", "html", "headers", "attachments", "raw",
    ]

    /// Largest total size of a request's attachments: 10 MiB.
    public static let maximumAttachmentBytes = 10 << 20

    /// Largest size of each of `text`, `html` and `raw`, in UTF-8: 10 MiB, like the attachments,
    /// so that no single request can hold a worker, or the queue's rows, far past a relay's limit.
    public static let maximumBodyBytes = 10 << 20

    /// Reads and checks one request line.
    ///
    /// - Throws: ``MailerError`` of kind `request` naming the field and what is wrong with it.
    public static func parse(line: String) throws -> SendRequest {
        let value = try JSONValue.parse(line, kind: .request, what: "line")
        return try read(FieldReader(value, path: "", kind: .request))
    }

    /// Reads and checks a request from a JSON object (a line, or the columns of a queued row).
    ///
    /// - Throws: ``MailerError`` of kind `request` naming the first bad field.
    public static func read(_ reader: FieldReader) throws -> SendRequest {
        try reader.rejectUnknownKeys(fields)
        let key = try reader.requiredString("idempotency_key")
        guard key.count <= 200, !key.unicodeScalars.contains(where: \.isControl) else {
            throw reader.error("idempotency_key", "must be at most 200 characters without control characters")
        }
        guard let fromValue = reader.value("from") else { throw reader.error("from", "is required") }
        var request = SendRequest(idempotencyKey: key, from: try address(fromValue, reader, "from"))
        try readScheduling(reader, into: &request)
        request.replyTo = try reader.value("reply_to").map { try address($0, reader, "reply_to") }
        request.to = try addresses(reader, "to")
        request.cc = try addresses(reader, "cc")
        request.bcc = try addresses(reader, "bcc")
        guard !request.recipients.isEmpty else { throw reader.error("to", "at least one of to, cc or bcc is needed") }
        guard request.recipients.count <= 1000 else { throw reader.error("to", "more than 1000 recipients") }
        if let raw = try reader.string("raw") {
            try readRaw(raw, reader)
            request.raw = raw
        } else {
            try readContent(reader, into: &request)
        }
        return request
    }

    private static func readScheduling(_ reader: FieldReader, into request: inout SendRequest) throws {
        if let queue = try reader.string("queue") {
            guard isValidQueueName(queue) else { throw reader.error("queue", queueNameRule) }
            request.queue = queue
        }
        request.priority = try reader.int("priority", in: -1000...1000) ?? 0
        request.maxAttempts = try reader.int("max_attempts", in: 1...100)
        if let text = try reader.string("send_at") {
            guard let date = parseTimestamp(text) else {
                throw reader.error(
                    "send_at", "expected an ISO 8601 time such as \"2026-12-04T16:00:00Z\", found \"\(text)\"")
            }
            request.sendAt = date
        }
        if var id = try reader.string("message_id") {
            if id.hasPrefix("<") && id.hasSuffix(">") { id = String(id.dropFirst().dropLast()) }
            // Printable ASCII first: then a byte is a character, and bytes are cheap to search.
            guard id.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }),
                id.utf8.count <= 250, id.utf8.contains(UInt8(ascii: "@")),
                !id.utf8.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") })
            else {
                throw reader.error(
                    "message_id", "expected \"unique@domain\" in printable ASCII, at most 250 characters")
            }
            request.messageID = id
        }
    }

    private static func readRaw(_ raw: String, _ reader: FieldReader) throws {
        try checkSize(raw, "raw", reader)
        for field in ["subject", "text", "html", "headers", "attachments"] where reader.value(field) != nil {
            throw reader.error(field, "cannot be combined with raw: a raw message is sent as it is")
        }
        guard raw.contains("\n\n") || raw.contains("\r\n\r\n") else {
            throw reader.error("raw", "expected a message with header fields, a blank line and a body")
        }
        guard !raw.utf8.contains(0) else { throw reader.error("raw", "contains a NUL character") }
    }

    private static func readContent(_ reader: FieldReader, into request: inout SendRequest) throws {
        if let subject = try reader.string("subject") {
            guard !subject.unicodeScalars.contains(where: \.isControl) else {
                throw reader.error("subject", "contains a line break or other control character")
            }
            guard subject.count <= 1000 else { throw reader.error("subject", "is longer than 1000 characters") }
            request.subject = subject
        }
        request.text = try reader.string("text")
        request.html = try reader.string("html")
        guard request.text != nil || request.html != nil else {
            throw reader.error("text", "a message needs text, html or both (or raw)")
        }
        for (field, body) in [("text", request.text), ("html", request.html)] {
            guard let body else { continue }
            try checkSize(body, field, reader)
            if body.utf8.contains(0) { throw reader.error(field, "contains a NUL character") }
        }
        request.headers = try readHeaders(reader)
        request.attachments = try readAttachments(reader)
    }
}

extension SendRequest {
    fileprivate static func checkSize(_ body: String, _ field: String, _ reader: FieldReader) throws {
        guard body.utf8.count <= maximumBodyBytes else {
            throw reader.error(field, "is larger than \(maximumBodyBytes >> 20) MiB")
        }
    }
}

extension Unicode.Scalar {
    /// A C0 or C1 control character, or DEL; tab is not allowed either. These 65 code points
    /// are Unicode's whole `Cc` category, which never grows; testing them directly spares a
    /// property lookup per character.
    var isControl: Bool { value < 0x20 || (0x7F...0x9F).contains(value) }
}
