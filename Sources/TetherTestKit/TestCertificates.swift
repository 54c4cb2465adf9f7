import Foundation

/// Throwaway certificates for TLS tests, made with the `openssl` command in a temporary directory.
///
/// Two CAs: ``caFile`` signed the server certificate (valid for `localhost`, `127.0.0.1` and
/// `::1`); ``otherCAFile`` signed nothing the server presents, to test a wrong trust root.
public struct TestCertificates: Sendable {
    /// The directory holding every file; ``remove()`` deletes it.
    public let directory: String
    /// The CA that signed the server certificate.
    public var caFile: String { directory + "/ca.pem" }
    /// A CA unrelated to the server certificate.
    public var otherCAFile: String { directory + "/other-ca.pem" }
    /// The server certificate, for `localhost`, `127.0.0.1` and `::1`.
    public var serverCertificateFile: String { directory + "/server.pem" }
    /// The server's private key.
    public var serverKeyFile: String { directory + "/server.key" }

    /// A client certificate signed by the CA of ``caFile``, for servers that ask for one.
    public var clientCertificateFile: String { directory + "/client.pem" }
    /// The client's private key.
    public var clientKeyFile: String { directory + "/client.key" }

    /// Makes the certificates in a new temporary directory, running `openssl` from a thread of its
    /// own so that waiting for it never holds a thread of the cooperative pool.
    ///
    /// - Throws: ``Failure`` naming the `openssl` step that failed.
    public static func make() async throws -> TestCertificates {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try makeBlocking() }) }.start()
        }
    }

    /// Makes the certificates, blocking the calling thread while `openssl` runs.
    public static func makeBlocking() throws -> TestCertificates {
        let directory = NSTemporaryDirectory() + "tether-certs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(directory: directory)
        try certificates.generate()
        return certificates
    }

    /// Deletes the directory.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func generate() throws {
        try makeCA(named: "ca", subject: "/CN=Tether Test CA")
        try makeCA(named: "other-ca", subject: "/CN=Tether Unrelated CA")
        try openssl(
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=localhost",
            "-keyout", serverKeyFile, "-out", directory + "/server.csr")
        let extensions = "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\n"
        try extensions.write(toFile: directory + "/ext.cnf", atomically: true, encoding: .utf8)
        try openssl(
            "x509", "-req", "-in", directory + "/server.csr", "-CA", caFile, "-CAkey", directory + "/ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", directory + "/ext.cnf", "-out", serverCertificateFile)
        try makeClientCertificate()
    }

    private func makeClientCertificate() throws {
        try openssl(
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=tether-client",
            "-keyout", clientKeyFile, "-out", directory + "/client.csr")
        try openssl(
            "x509", "-req", "-in", directory + "/client.csr", "-CA", caFile, "-CAkey", directory + "/ca.key",
            "-CAcreateserial", "-days", "2", "-out", clientCertificateFile)
    }

    private func makeCA(named name: String, subject: String) throws {
        try openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", subject,
            "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).pem")
    }

    private func openssl(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                step: "openssl " + arguments.prefix(2).joined(separator: " "), status: process.terminationStatus)
        }
    }

    /// An `openssl` step failed.
    public struct Failure: Error, CustomStringConvertible {
        /// The command that failed.
        public let step: String
        /// Its exit status.
        public let status: Int32

        public var description: String { "TestCertificates: \(step) exited with status \(status)" }
    }
}
