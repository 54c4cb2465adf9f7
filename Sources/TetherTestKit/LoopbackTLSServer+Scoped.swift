import TetherNet

extension LoopbackTLSServer {
    /// Makes throwaway certificates, starts a server with them, runs `body`, then closes the
    /// server and removes the certificates, also when `body` throws.
    ///
    /// ```swift
    /// try await LoopbackTLSServer.withServer(behaviour: .echo) { server, certificates in
    ///     let stream = try await TCPStream.connect(
    ///         host: "localhost", port: server.port, deadline: .now + .seconds(5),
    ///         tls: certificates.trustingConfiguration)
    ///     stream.close()
    /// }
    /// ```
    public static func withServer<R>(
        family: LoopbackListener.Family = .ipv4,
        behaviour: Behaviour,
        requiresClientCertificate: Bool = false,
        _ body: (LoopbackTLSServer, TestCertificates) async throws -> R
    ) async throws -> R {
        let certificates = try await TestCertificates.make()
        defer { certificates.remove() }
        let server = try LoopbackTLSServer(
            certificates: certificates, family: family, behaviour: behaviour,
            requiresClientCertificate: requiresClientCertificate)
        defer { server.close() }
        return try await body(server, certificates)
    }
}

extension TestCertificates {
    /// A client configuration that trusts only this set's CA and verifies chain and name.
    public var trustingConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration()
        configuration.trustRootsFile = caFile
        return configuration
    }
}
