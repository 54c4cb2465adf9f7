import TetherSMTP

/// Ready-made messages for tests and benchmarks that need mail of a known size.
public enum SampleMessages {
    /// A plain-text message from `bench@tether.test` to `sink@tether.test` whose rendered form
    /// is close to `size` bytes: a little over, as each line of 65 bytes renders as 66 with its
    /// CRLF, and never under one line of body.
    ///
    /// - Throws: Never in practice: the addresses are fixed and valid; the signature follows
    ///   ``OutgoingMessage/init(_:)``.
    public static func outgoing(size: Int) throws -> OutgoingMessage {
        var email = Email(from: try EmailAddress("bench@tether.test"), subject: "benchmark")
        email.to = [try EmailAddress("sink@tether.test")]
        let line = String(repeating: "0123456789abcdef", count: 4) + "\n"
        // About 300 bytes go to the headers.
        email.text = String(repeating: line, count: max(1, (size - 300) / line.utf8.count))
        return try OutgoingMessage(email)
    }
}
