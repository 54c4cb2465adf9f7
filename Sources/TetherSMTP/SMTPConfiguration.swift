import TetherNet

/// Where and how an SMTP session connects.
///
/// ```swift
/// var configuration = SMTPConfiguration(host: "smtp.example.com", port: 587)
/// configuration.credentials = .plain(user: "mailer", password: secret)
/// configuration.timeouts.endOfData = .seconds(120)
/// ```
public struct SMTPConfiguration: Sendable {
    /// The server's host name or address.
    public var host: String
    /// The server's port. Defaults to 587 (submission).
    public var port: Int
    /// Whether and how TLS is used. Defaults to ``SMTPTLSPolicy/required(_:)`` with the
    /// default ``TLSConfiguration`` (system trust store, host name verified).
    public var tls: SMTPTLSPolicy = .required(TLSConfiguration())
    /// The name TLS verifies the certificate against. Defaults to `nil` (``host``).
    public var serverName: String?
    /// Credentials for AUTH. Defaults to `nil` (no AUTH).
    public var credentials: SMTPCredentials?
    /// Allows AUTH over plaintext when the peer is on a loopback address; never otherwise.
    /// Defaults to `false`.
    public var allowPlaintextAuthOnLoopback = false
    /// The name sent in EHLO and HELO. Defaults to `localhost`.
    public var heloName = "localhost"
    /// Deadlines per phase. Defaults to ``SMTPTimeouts/init()``.
    public var timeouts = SMTPTimeouts()
    /// How many messages one connection sends before it is closed and replaced. Defaults to 100.
    public var maximumMessagesPerConnection = 100
    /// How long a connection may sit idle before a NOOP checks it before reuse. Defaults to 30 seconds.
    public var idleCheckInterval: Duration = .seconds(30)
    /// How many idle connections an ``SMTPClient`` keeps for reuse. Defaults to 1.
    public var maximumIdleConnections = 1

    /// A configuration for `host` and `port` with the defaults above.
    public init(host: String, port: Int = 587) {
        self.host = host
        self.port = port
    }

    func validate() throws(SMTPError) {
        if host.utf8.contains(where: EmailAddress.isControl) || host.isEmpty {
            throw SMTPError.invalid("host", "the host is empty or holds a control character")
        }
        guard (1...65535).contains(port) else { throw SMTPError.invalid("port", "port \(port) is outside 1...65535") }
        guard !heloName.isEmpty, heloName.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw SMTPError.invalid("heloName", "the EHLO name is empty or not printable ASCII without spaces")
        }
        guard maximumMessagesPerConnection >= 1 else {
            throw SMTPError.invalid("maximumMessagesPerConnection", "at least one message per connection")
        }
        try timeouts.validate()
    }
}

/// Whether the session uses TLS, and how.
public enum SMTPTLSPolicy: Sendable {
    /// STARTTLS must succeed before anything else; a server without it is refused. The default.
    case required(TLSConfiguration)
    /// STARTTLS when the server offers it, plaintext otherwise. A failed handshake still fails.
    case opportunistic(TLSConfiguration)
    /// Plaintext; STARTTLS is never sent.
    case none
    /// TLS from the first byte (port 465, RFC 8314).
    case implicit(TLSConfiguration)
}

/// Credentials for SMTP AUTH. Their description never shows the secret.
public struct SMTPCredentials: Sendable, CustomStringConvertible {
    enum Mechanism: Sendable { case password, oauth2 }
    let mechanism: Mechanism
    let user: String
    let secret: String

    /// A user and password, sent with AUTH PLAIN, or LOGIN when PLAIN is not offered. UTF-8 allowed.
    public static func plain(user: String, password: String) -> SMTPCredentials {
        SMTPCredentials(mechanism: .password, user: user, secret: password)
    }

    /// A user and OAuth 2 bearer token, sent with AUTH XOAUTH2.
    public static func oauth2(user: String, token: String) -> SMTPCredentials {
        SMTPCredentials(mechanism: .oauth2, user: user, secret: token)
    }

    public var description: String { "SMTPCredentials(user: \(user), secret: <hidden>)" }
}
