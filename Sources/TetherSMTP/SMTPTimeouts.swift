/// How long each phase of a session may take.
///
/// Defaults follow RFC 5321 section 4.5.3.2. Each timeout covers one wait for one reply
/// (or one write); ``message`` bounds a whole ``SMTPConnection/send(_:)`` on top of them.
public struct SMTPTimeouts: Sendable, Hashable {
    /// Establishing the connection: TCP, the greeting, TLS (implicit or STARTTLS), EHLO and
    /// AUTH together. Defaults to 5 minutes.
    public var connect: Duration = .seconds(300)
    /// Waiting for the 220 greeting after TCP is up. Defaults to 5 minutes.
    public var greeting: Duration = .seconds(300)
    /// One TLS handshake. Defaults to 1 minute.
    public var tlsHandshake: Duration = .seconds(60)
    /// Each command's reply (EHLO, AUTH, MAIL, RCPT, RSET, NOOP, QUIT). Defaults to 5 minutes.
    public var command: Duration = .seconds(300)
    /// The reply to DATA (354). Defaults to 2 minutes.
    public var dataInitiation: Duration = .seconds(120)
    /// Writing the message content. Defaults to 3 minutes.
    public var dataBlock: Duration = .seconds(180)
    /// The reply after the end-of-data terminator. Defaults to 10 minutes.
    public var endOfData: Duration = .seconds(600)
    /// One whole ``SMTPConnection/send(_:)``, all phases together. Defaults to 20 minutes.
    public var message: Duration = .seconds(1200)

    /// The RFC 5321 defaults.
    public init() {}

    /// Every phase bounded by `duration`: handy in tests against servers you script.
    public static func all(_ duration: Duration) -> SMTPTimeouts {
        var timeouts = SMTPTimeouts()
        timeouts.connect = duration
        timeouts.greeting = duration
        timeouts.tlsHandshake = duration
        timeouts.command = duration
        timeouts.dataInitiation = duration
        timeouts.dataBlock = duration
        timeouts.endOfData = duration
        timeouts.message = duration
        return timeouts
    }

    func validate() throws(SMTPError) {
        let fields: [(String, Duration)] = [
            ("connect", connect), ("greeting", greeting), ("tlsHandshake", tlsHandshake), ("command", command),
            ("dataInitiation", dataInitiation), ("dataBlock", dataBlock), ("endOfData", endOfData),
            ("message", message),
        ]
        for (name, value) in fields where value <= .zero {
            throw SMTPError.invalid("timeouts.\(name)", "a timeout must be positive")
        }
    }
}
