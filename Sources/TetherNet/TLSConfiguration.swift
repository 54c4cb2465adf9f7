/// How a TLS client verifies its peer and presents itself.
///
/// The defaults verify the certificate chain against the system trust store and the
/// host name against the certificate, with TLS 1.2 as the lowest version accepted.
public struct TLSConfiguration: Sendable, Hashable {
    /// How the peer's certificate is checked.
    public struct Verification: Sendable, Hashable {
        enum Mode: Hashable { case full, chainOnly, none }
        let mode: Mode

        /// Chain and host name are verified. The default.
        public static let full = Verification(mode: .full)
        /// The chain is verified, the host name is not (for IP literals without SAN entries).
        public static let chainOnly = Verification(mode: .chainOnly)
        /// Nothing is verified: any peer is accepted. For tests against throwaway servers only.
        public static let insecureNoVerificationForTestsOnly = Verification(mode: .none)
    }

    /// How the peer is verified. Defaults to ``Verification/full``.
    public var verification: Verification = .full

    /// A PEM file of trusted CA certificates used instead of the system store.
    /// Defaults to `nil` (the system store).
    public var trustRootsFile: String?

    /// A PEM file holding the client certificate chain, for servers that ask for one.
    /// Defaults to `nil`.
    public var certificateChainFile: String?

    /// A PEM file holding the client's private key. Defaults to `nil`.
    public var privateKeyFile: String?

    /// The lowest protocol version accepted. Defaults to ``MinimumVersion/tls12``.
    public var minimumVersion: MinimumVersion = .tls12

    /// The lowest TLS version a connection may use.
    public enum MinimumVersion: Sendable, Hashable {
        case tls12
        case tls13
    }

    /// A configuration that verifies chain and host name against the system trust store.
    public init() {}
}
