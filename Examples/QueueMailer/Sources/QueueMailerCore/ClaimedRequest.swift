/// A request this instance holds a lease on, as read back from the queue.
public struct ClaimedRequest: Sendable {
    /// The request's id.
    public let id: Int64
    /// This claim's attempt number: the fencing token of every write about it.
    public let attempt: Int
    /// The attempt limit.
    public let maxAttempts: Int
    /// The Message-ID fixed at enqueue.
    public let messageID: String
    /// The request, or why its row could not be read as one (bad data fails the request).
    public let request: Result<SendRequest, MailerError>
    /// Whether an earlier attempt was recorded as sent, if the claim looked.
    public let earlierSend: EarlierSend

    /// What a claim found about a request's earlier attempts.
    ///
    /// ``QueueStore`` looks in the claim statement itself, so a batch's checks cost no round
    /// trip of their own. The answer is as of the claim: a `sent` row that an instance whose
    /// lease was reaped writes after it is not seen before this attempt sends, as it was not
    /// seen between a separate check and the send either (only that window was shorter).
    public enum EarlierSend: Sendable, Equatable {
        /// The claim did not look; the worker asks the queue before sending.
        case unchecked
        /// No attempt was recorded as sent when the request was claimed.
        case notSent
        /// This attempt was recorded as sent: the request must not be sent again.
        case sent(attempt: Int)
    }

    public init(
        id: Int64, attempt: Int, maxAttempts: Int, messageID: String, request: Result<SendRequest, MailerError>,
        earlierSend: EarlierSend = .unchecked
    ) {
        self.id = id
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.messageID = messageID
        self.request = request
        self.earlierSend = earlierSend
    }

    /// Rebuilds the request from its columns (named as in ``QueueSQL/claimedColumns``), checking
    /// it exactly as `enqueue` does, so a row written by another producer gets the same scrutiny.
    public static func decode(columns: [String: String?]) -> Result<SendRequest, MailerError> {
        Result {
            var object = [String: JSONValue](minimumCapacity: 16)
            let text = { (column: String) -> String? in columns[column] ?? nil }
            object["idempotency_key"] = text("idempotency_key").map(JSONValue.string)
            object["queue"] = text("queue").map(JSONValue.string)
            object["priority"] = text("priority").flatMap(Double.init).map(JSONValue.number)
            object["message_id"] = text("message_id").map(JSONValue.string)
            if let address = text("mail_from") {
                var from: [String: JSONValue] = ["address": .string(address)]
                from["name"] = text("sender_name").map(JSONValue.string)
                object["from"] = .object(from)
            }
            for (field, column) in [
                ("reply_to", "reply_to"), ("to", "rcpt_to"), ("cc", "rcpt_cc"), ("bcc", "rcpt_bcc"),
            ] {
                object[field] = try text(column).map { try parseColumn($0, column) }
            }
            object["headers"] = try text("headers").map { try parseColumn($0, "headers") }
            object["attachments"] = try text("attachments").map { try parseColumn($0, "attachments") }
            object["subject"] = text("subject").map(JSONValue.string)
            object["text"] = text("body_text").map(JSONValue.string)
            object["html"] = text("body_html").map(JSONValue.string)
            object["raw"] = text("raw_message").map(JSONValue.string)
            if object["raw"] != nil {
                object["headers"] = object["headers"] == .object([:]) ? nil : object["headers"]
                object["attachments"] = object["attachments"] == .array([]) ? nil : object["attachments"]
            }
            return try SendRequest.read(FieldReader(object, kind: .request))
        }.mapError { $0 as? MailerError ?? MailerError(.request, "\($0)") }
    }

    private static func parseColumn(_ text: String, _ column: String) throws -> JSONValue {
        if let plain = JSONValue.plainList(text) { return plain }
        do {
            return try JSONValue.parse(text, kind: .request, what: column)
        } catch {
            throw MailerError(.request, field: column, "the column does not hold valid JSON")
        }
    }
}

extension MailQueue {
    /// The attempt of `claimed`'s request already recorded as sent, if any: what the claim found,
    /// or, when it did not look, the queue's answer now.
    public func sentAttempt(of claimed: ClaimedRequest) async throws -> Int? {
        switch claimed.earlierSend {
        case .notSent: nil
        case .sent(let attempt): attempt
        case .unchecked: try await sentAttempt(requestID: claimed.id)
        }
    }
}
