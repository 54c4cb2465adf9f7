import CTetherOpenSSL
import Foundation

/// A throwaway self-signed certificate (Ed25519, for `localhost` and `127.0.0.1`) and the
/// OpenSSL server context the scripted SMTP server uses for STARTTLS.
///
/// ``certificateFile`` is a PEM file clients can trust as their only root.
public final class ScriptedTLSIdentity: @unchecked Sendable {
    // Immutable after init; OpenSSL contexts are safe to share for SSL_new.
    let context: OpaquePointer
    /// A PEM file holding the certificate, to use as a trust root.
    public let certificateFile: String

    /// Makes a fresh key and certificate valid for one day.
    ///
    /// - Throws: ``ScriptedSMTPServer/Failure`` when OpenSSL refuses a step.
    public init() throws {
        let key = try Self.makeKey()
        defer { EVP_PKEY_free(key) }
        let certificate = try Self.makeCertificate(key: key)
        defer { X509_free(certificate) }
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw ScriptedSMTPServer.Failure("SSL_CTX_new") }
        guard SSL_CTX_use_certificate(context, certificate) == 1, SSL_CTX_use_PrivateKey(context, key) == 1 else {
            SSL_CTX_free(context)
            throw ScriptedSMTPServer.Failure("the scripted certificate was refused")
        }
        self.context = context
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tether-scripted-\(UUID()).pem").path
        guard let file = fopen(path, "w") else { throw ScriptedSMTPServer.Failure("cannot write \(path)") }
        PEM_write_X509(file, certificate)
        fclose(file)
        self.certificateFile = path
    }

    deinit {
        SSL_CTX_free(context)
        try? FileManager.default.removeItem(atPath: certificateFile)
    }

    private static func makeKey() throws -> OpaquePointer {
        guard let keyContext = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else {
            throw ScriptedSMTPServer.Failure("EVP_PKEY_CTX_new_id")
        }
        defer { EVP_PKEY_CTX_free(keyContext) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(keyContext) == 1, EVP_PKEY_keygen(keyContext, &key) == 1, let key else {
            throw ScriptedSMTPServer.Failure("key generation failed")
        }
        return key
    }

    private static func makeCertificate(key: OpaquePointer) throws -> OpaquePointer {
        guard let certificate = X509_new() else { throw ScriptedSMTPServer.Failure("X509_new") }
        X509_set_version(certificate, 2)
        ASN1_INTEGER_set(X509_get_serialNumber(certificate), Int(UInt32.random(in: 1...UInt32.max)))
        X509_gmtime_adj(X509_getm_notBefore(certificate), -60)
        X509_gmtime_adj(X509_getm_notAfter(certificate), 86_400)
        X509_set_pubkey(certificate, key)
        let name = X509_get_subject_name(certificate)
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, "localhost", -1, -1, 0)
        X509_set_issuer_name(certificate, name)
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, certificate, certificate, nil, nil, 0)
        let extensions = [
            (NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"), (NID_basic_constraints, "critical,CA:TRUE"),
        ]
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw ScriptedSMTPServer.Failure("certificate extension \(value)")
            }
            X509_add_ext(certificate, ext, -1)
            X509_EXTENSION_free(ext)
        }
        guard X509_sign(certificate, key, nil) > 0 else {
            X509_free(certificate)
            throw ScriptedSMTPServer.Failure("X509_sign failed")
        }
        return certificate
    }
}
