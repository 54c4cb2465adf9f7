import Foundation

extension SendRequest {
    /// The request as a JSON object in the line format; ``read(_:)`` gives back an equal request.
    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "idempotency_key": .string(idempotencyKey),
            "queue": .string(queue),
            "priority": .number(Double(priority)),
            "from": Self.json(from),
        ]
        object["send_at"] = sendAt.map {
            .string($0.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        object["max_attempts"] = maxAttempts.map { .number(Double($0)) }
        object["message_id"] = messageID.map(JSONValue.string)
        object["reply_to"] = replyTo.map(Self.json)
        for (field, list) in [("to", to), ("cc", cc), ("bcc", bcc)] where !list.isEmpty {
            object[field] = Self.json(list)
        }
        object["subject"] = subject.map(JSONValue.string)
        object["text"] = text.map(JSONValue.string)
        object["html"] = html.map(JSONValue.string)
        if !headers.isEmpty { object["headers"] = headersJSON }
        if !attachments.isEmpty { object["attachments"] = attachmentsJSON }
        object["raw"] = raw.map(JSONValue.string)
        return .object(object)
    }

    /// The extra header fields as a JSON object, as stored in the `headers` column.
    public var headersJSON: JSONValue {
        .object(Dictionary(headers.map { ($0.name, JSONValue.string($0.value)) }, uniquingKeysWith: { $1 }))
    }

    /// The attachments as a JSON array with base64 content, as stored in the `attachments` column.
    public var attachmentsJSON: JSONValue {
        .array(
            attachments.map { attachment in
                .object([
                    "filename": .string(attachment.filename),
                    "content_type": .string(attachment.contentType),
                    "content_base64": .string(Data(attachment.content).base64EncodedString()),
                ])
            })
    }

    /// An address list as a JSON array, as stored in the `rcpt_*` columns.
    public static func json(_ list: [MailAddress]) -> JSONValue {
        .array(list.map(json))
    }

    /// One address: a string when it has no name, otherwise an object.
    public static func json(_ mailbox: MailAddress) -> JSONValue {
        guard let name = mailbox.name else { return .string(mailbox.address) }
        return .object(["name": .string(name), "address": .string(mailbox.address)])
    }
}
