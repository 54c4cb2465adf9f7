/// The outcome of a message the server accepted.
public struct SendReport: Sendable, CustomStringConvertible {
    /// The recipients the server took, with its reply to each.
    public let accepted: [RecipientResult]
    /// The recipients the server refused, with its reply to each (empty unless some were
    /// refused and ``RecipientPolicy/partialAllowed`` let the message go to the others).
    public let rejected: [RecipientResult]
    /// The reply after the end of data, e.g. `250 2.0.0 OK queued as 4F2A`.
    public let finalReply: SMTPReply
    /// The `Message-ID`, when the message came from the builder.
    public let messageID: String?

    /// The queue identifier in ``finalReply``, if the server named one.
    public var queueID: String? { finalReply.queueID }

    public var description: String {
        "accepted \(accepted.count), rejected \(rejected.count): \(finalReply)"
    }
}
