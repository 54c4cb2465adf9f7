import CTetherOpenSSL
import Glibc

/// One OpenSSL connection over a non-blocking socket.
///
/// Every call is made under the owning stream's lock, so one SSL operation at a time runs per
/// connection; that is why this class is `@unchecked Sendable`. A call that wants readiness
/// returns ``Step/wait(_:)`` and is repeated with the same arguments once the socket is ready.
final class TLSSession: @unchecked Sendable {
    private let ssl: OpaquePointer
    private let context: TLSContext

    /// Creates the session and sets what the peer is verified against.
    ///
    /// - Parameter peerName: A host name is sent as SNI and matched against DNS names; an IP literal
    ///   is matched against IP addresses in the certificate and not sent as SNI.
    init(context: TLSContext, descriptor: Int32, peerName: String?) throws(NetworkError) {
        guard let ssl = SSL_new(context.pointer) else {
            throw TLSContext.failure("SSL_new")
        }
        self.ssl = ssl
        self.context = context
        guard SSL_set_fd(ssl, descriptor) == 1 else {
            throw TLSContext.failure("SSL_set_fd")
        }
        SSL_set_connect_state(ssl)
        try setPeerName(peerName)
    }

    deinit {
        SSL_free(ssl)
    }

    private func setPeerName(_ peerName: String?) throws(NetworkError) {
        let verifiesName = context.configuration.verification == .full
        guard let name = peerName.map(Self.unbracketed), !name.isEmpty else {
            if verifiesName {
                throw NetworkError(.invalidArgument, .tlsHandshake, detail: "no server name to verify the peer against")
            }
            return
        }
        let isAddress = SocketAddress(literal: name, port: 1) != nil
        if !isAddress {
            _ = ctether_SSL_set_tlsext_host_name(ssl, name)
        }
        guard verifiesName else { return }
        let accepted =
            isAddress
            ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1
            : SSL_set1_host(ssl, name) == 1
        guard accepted else {
            throw NetworkError(.invalidArgument, .tlsHandshake, detail: "cannot verify the peer as '\(name)'")
        }
    }

    func handshake() throws(NetworkError) -> Step<Void> {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return .done(()) }
        return try step(after: result, phase: .tlsHandshake).map { _ in () }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(NetworkError) -> Step<Int> {
        ERR_clear_error()
        let result = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        if result > 0 { return .done(Int(result)) }
        return try step(after: result, phase: .read)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(NetworkError) -> Step<Int> {
        ERR_clear_error()
        let result = SSL_write(ssl, bytes.baseAddress, Int32(clamping: bytes.count))
        if result > 0 { return .done(Int(result)) }
        return try step(after: result, phase: .write)
    }

    /// Sends close-notify and reads the peer's; done also when the peer closed without one.
    func shutdown() -> Step<Void> {
        ERR_clear_error()
        var result = SSL_shutdown(ssl)
        if result == 0 {
            result = SSL_shutdown(ssl)
        }
        if result == 1 { return .done(()) }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ: return .wait(.readable)
        case SSL_ERROR_WANT_WRITE: return .wait(.writable)
        default:
            ERR_clear_error()
            return .done(())
        }
    }

    /// Sends close-notify if the socket takes it now; never waits for the peer's reply.
    func sendCloseNotify() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// Maps a failed call: wait for readiness, end of stream (0 bytes), or an error.
    private func step(after result: Int32, phase: NetworkError.Phase) throws(NetworkError) -> Step<Int> {
        let systemErrno = errno
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ:
            return .wait(.readable)
        case SSL_ERROR_WANT_WRITE:
            return .wait(.writable)
        case SSL_ERROR_ZERO_RETURN:
            if phase == .tlsHandshake {
                throw NetworkError(.endOfStream, phase, detail: "peer closed during handshake")
            }
            return .done(0)
        case SSL_ERROR_SYSCALL where systemErrno != 0 && ERR_peek_error() == 0:
            throw NetworkError.system(systemErrno, phase, call: "TLS")
        default:
            let verifyResult = Int(SSL_get_verify_result(ssl))
            let failure = TLSContext.failure("", verifyResult: verifyResult)
            throw NetworkError(.tlsFailure, phase, detail: failure.detail ?? "peer closed the connection")
        }
    }

    private static func unbracketed(_ name: String) -> String {
        name.hasPrefix("[") && name.hasSuffix("]") ? String(name.dropFirst().dropLast()) : name
    }
}
