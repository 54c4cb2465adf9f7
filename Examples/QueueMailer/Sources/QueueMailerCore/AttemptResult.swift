/// How one attempt ended, as the result table records it.
public enum AttemptOutcome: String, Sendable, CaseIterable {
    /// The relay accepted the message for at least one recipient.
    case sent
    /// A transient failure before the end of data: the request is scheduled again.
    case retry
    /// A permanent failure, bad data, or no attempts left.
    case failed
    /// The relay may or may not have the message (no final reply after the end of data, or a
    /// lost lease): never resent blindly.
    case unknown
}

/// One recipient's reply.
public struct RecipientResult: Sendable, Equatable {
    /// The address.
    public var address: String
    /// Whether the relay accepted it.
    public var accepted: Bool
    /// The reply code, such as 250 or 550.
    public var code: Int?
    /// The enhanced status code, such as `5.1.1`.
    public var enhancedCode: String?
    /// The reply text.
    public var text: String?

    public init(address: String, accepted: Bool, code: Int? = nil, enhancedCode: String? = nil, text: String? = nil) {
        self.address = address
        self.accepted = accepted
        self.code = code
        self.enhancedCode = enhancedCode
        self.text = text
    }

    /// As stored in the result's `recipients` column.
    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = ["address": .string(address), "accepted": .bool(accepted)]
        object["code"] = code.map { .number(Double($0)) }
        object["enhanced_code"] = enhancedCode.map(JSONValue.string)
        object["text"] = text.map(JSONValue.string)
        return .object(object)
    }
}

/// What a worker learned from one attempt, on its way to the result writer.
public struct AttemptResult: Sendable, Equatable {
    /// The request.
    public var requestID: Int64
    /// The attempt, which fences the state change.
    public var attempt: Int
    /// The request's attempt limit when it was claimed.
    public var maxAttempts: Int
    /// How the attempt ended.
    public var outcome: AttemptOutcome
    /// The relay's reply code, if a reply decided the outcome.
    public var smtpCode: Int?
    /// The relay's enhanced status code.
    public var enhancedCode: String?
    /// The reply text, or what went wrong when no reply did.
    public var detail: String
    /// Per-recipient replies.
    public var recipients: [RecipientResult] = []
    /// For ``AttemptOutcome/retry``: how long to wait before the next attempt.
    public var retryAfter: Duration = .zero
    /// Whether this attempt was handed back unsent, so it does not count against the limit.
    public var released = false
    /// Whether it was handed back because the relay was unavailable (``released`` too).
    public var deferred = false

    public init(
        requestID: Int64, attempt: Int, maxAttempts: Int, outcome: AttemptOutcome, smtpCode: Int? = nil,
        enhancedCode: String? = nil, detail: String
    ) {
        self.requestID = requestID
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.outcome = outcome
        self.smtpCode = smtpCode
        self.enhancedCode = enhancedCode
        self.detail = detail
    }

    /// The request state this result leads to: a retry with no attempts left fails.
    public var nextState: String {
        switch outcome {
        case .sent: "done"
        case .failed: "failed"
        case .unknown: "unknown"
        case .retry where released: "ready"
        case .retry: attempt >= maxAttempts ? "failed" : "ready"
        }
    }

    /// The `last_error` the request keeps: `nil` once sent.
    public var lastError: String? {
        switch nextState {
        case "done": nil
        case "failed" where outcome == .retry: "no attempts left (\(maxAttempts)); last: \(detail)"
        default: detail
        }
    }
}
