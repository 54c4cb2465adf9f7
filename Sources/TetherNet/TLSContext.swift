import CTetherOpenSSL
import Synchronization
import TetherLocking

/// An OpenSSL client context built from one ``TLSConfiguration``, shared by every stream that uses it.
///
/// Building a context loads the trust store, which is far slower than a handshake, so contexts are
/// cached per configuration. `SSL_CTX` is safe to share once configured: streams only call `SSL_new`
/// on it. That is why this class is `@unchecked Sendable`.
final class TLSContext: @unchecked Sendable {
    let pointer: OpaquePointer
    let configuration: TLSConfiguration

    private static let cache = Locked<[TLSConfiguration: TLSContext]>([:])

    /// The cached context for `configuration`, built on first use.
    ///
    /// - Throws: ``NetworkError`` `.tlsFailure` naming the file that could not be loaded.
    static func shared(for configuration: TLSConfiguration) throws(NetworkError) -> TLSContext {
        if let context = cache.withLock({ $0[configuration] }) {
            return context
        }
        let context = try TLSContext(configuration)
        return cache.withLock { cache in
            if let existing = cache[configuration] { return existing }
            cache[configuration] = context
            return context
        }
    }

    private init(_ configuration: TLSConfiguration) throws(NetworkError) {
        guard let pointer = SSL_CTX_new(TLS_client_method()) else {
            throw TLSContext.failure("SSL_CTX_new")
        }
        self.pointer = pointer
        self.configuration = configuration
        let minimum = configuration.minimumVersion == .tls13 ? ctether_TLS1_3_VERSION() : ctether_TLS1_2_VERSION()
        _ = ctether_SSL_CTX_set_min_proto_version(pointer, minimum)
        _ = ctether_SSL_CTX_set_options(pointer, ctether_SSL_OP_NO_COMPRESSION() | ctether_SSL_OP_NO_RENEGOTIATION())
        let mode = ctether_SSL_MODE_ENABLE_PARTIAL_WRITE() | ctether_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER()
        _ = ctether_SSL_CTX_set_mode(pointer, mode)
        let verify =
            configuration.verification == .insecureNoVerificationForTestsOnly ? SSL_VERIFY_NONE : SSL_VERIFY_PEER
        SSL_CTX_set_verify(pointer, verify, nil)
        try loadTrustRoots()
        try loadClientCertificate()
    }

    deinit {
        SSL_CTX_free(pointer)
    }

    private func loadTrustRoots() throws(NetworkError) {
        if let file = configuration.trustRootsFile {
            guard SSL_CTX_load_verify_locations(pointer, file, nil) == 1 else {
                throw Self.failure("cannot load trust roots from \(file)")
            }
        } else if SSL_CTX_set_default_verify_paths(pointer) != 1 {
            throw Self.failure("cannot load the system trust store")
        }
    }

    private func loadClientCertificate() throws(NetworkError) {
        if let file = configuration.certificateChainFile {
            guard SSL_CTX_use_certificate_chain_file(pointer, file) == 1 else {
                throw Self.failure("cannot load the client certificate chain from \(file)")
            }
        }
        if let file = configuration.privateKeyFile {
            guard SSL_CTX_use_PrivateKey_file(pointer, file, SSL_FILETYPE_PEM) == 1 else {
                throw Self.failure("cannot load the client private key from \(file)")
            }
            guard SSL_CTX_check_private_key(pointer) == 1 else {
                throw Self.failure("the private key in \(file) does not match the client certificate")
            }
        }
    }

    /// A `.tlsFailure` with `what` and the reasons on OpenSSL's error queue of this thread.
    static func failure(_ what: String, verifyResult: Int = Int(X509_V_OK)) -> NetworkError {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            if let reason = ERR_reason_error_string(code) {
                reasons.append(String(cString: reason))
            } else {
                reasons.append("OpenSSL error \(code)")
            }
        }
        if verifyResult != Int(X509_V_OK), let text = X509_verify_cert_error_string(verifyResult) {
            reasons.append(String(cString: text))
        }
        let detail = ([what] + reasons).filter { !$0.isEmpty }.joined(separator: ": ")
        return NetworkError(.tlsFailure, .tlsHandshake, detail: detail)
    }
}
