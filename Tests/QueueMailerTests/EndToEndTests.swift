import Foundation
import QueueMailerCore
import Testing
import TetherSMTP
import TetherTestKit

extension MailerIntegration {
    /// The samples through the real aiosmtpd (TETHER_SMTP_PLAIN_*): what it stored must match the
    /// requests in envelope, headers, bodies and attachments.
    @Suite(
        "End to end with aiosmtpd",
        .enabled(if: TestServersGate.plainSMTP, Comment(rawValue: TestServersGate.plainSMTPMessage)))
    struct EndToEndTests {
        @Test("the stored messages match the sample requests", arguments: [SQLDialect.sqlite])
        func samplesArriveIntact(dialect: SQLDialect) async throws {
            let servers = TestServers.current
            let store = try servers.value("TETHER_SMTP_PLAIN_STORE")
            try await withFixture(dialect) { fixture in
                let requests = try Samples.requestLines().filter { !$0.contains("bad-address") }
                    .map { try SendRequest.parse(line: $0) }
                _ = try await fixture.store().enqueue(requests, defaultMaxAttempts: 3)
                var harness = ServiceHarness()
                harness.relay.host = try servers.value("TETHER_SMTP_PLAIN_HOST")
                harness.relay.port = try servers.port("TETHER_SMTP_PLAIN_PORT")
                harness.relay.endOfDataTimeout = .seconds(10)
                let counts = try await harness.run(fixture, connector: .tcp)
                #expect(counts.sent == requests.count - 1)
                #expect(counts.failed == 1, "the recipient containing 'rejected' gets 550")
                let ids = try await fixture.rows(
                    "SELECT idempotency_key, message_id FROM \(fixture.schema.requestTable)")
                let stored = try await StoredMessage.all(in: store)
                for request in requests where !request.recipients.contains(where: { $0.address.contains("rejected") }) {
                    let messageID = try #require(ids.first { $0[0] == request.idempotencyKey }?[1] ?? nil)
                    let message = try #require(stored[messageID], "no stored message for \(request.idempotencyKey)")
                    try compare(message, request)
                }
                try await expectQueueSettled(fixture)
            }
        }

        private func compare(_ message: StoredMessage, _ request: SendRequest) throws {
            let key = request.idempotencyKey
            #expect(message.envelopeFrom == request.from.address, "\(key)")
            #expect(Set(message.envelopeTo) == Set(request.recipients.map(\.address)), "\(key)")
            guard request.raw == nil else {
                #expect(message.subject == "Nightly status: all green")
                return
            }
            #expect(message.subject == (request.subject ?? ""), "\(key)")
            #expect(message.from.contains(request.from.address), "\(key)")
            if let name = request.from.name { #expect(message.from.contains(name), "\(key): \(message.from)") }
            #expect(message.bcc.isEmpty, "\(key): Bcc must not be in the message")
            for (name, value) in request.headers {
                #expect(message.headers[name.lowercased()] == value, "\(key) \(name)")
            }
            #expect(normalized(message.text) == normalized(request.text), "\(key) text")
            #expect(normalized(message.html) == normalized(request.html), "\(key) html")
            #expect(message.attachments.count == request.attachments.count, "\(key)")
            for attachment in request.attachments {
                let arrived = message.attachments.first { $0.filename == attachment.filename }
                #expect(arrived?.content == attachment.content, "\(key): \(attachment.filename)")
                #expect(arrived?.contentType == attachment.contentType, "\(key): \(attachment.filename)")
            }
        }

        private func normalized(_ text: String?) -> String? {
            text?.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .newlines)
        }
    }
}

/// A message aiosmtpd stored, read with Python's email package (`/usr/bin/python3`).
struct StoredMessage: Decodable {
    struct Part: Decodable {
        var filename: String
        var contentType: String
        var base64: String
        var content: [UInt8] { Array(Data(base64Encoded: base64) ?? Data()) }
    }

    var envelopeFrom: String
    var envelopeTo: [String]
    var messageID: String
    var subject: String
    var from: String
    var bcc: String
    var headers: [String: String]
    var text: String?
    var html: String?
    var attachments: [Part]

    /// Every stored message in `directory`, by Message-ID (without angle brackets).
    static func all(in directory: String) async throws -> [String: StoredMessage] {
        Dictionary(try await list(in: directory).map { ($0.messageID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Every stored message in `directory`, in the order they arrived.
    static func list(in directory: String) async throws -> [StoredMessage] {
        // Python runs on a thread of its own: waiting for it must not hold a cooperative thread.
        let data = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data, any Error>) in
            Thread.detachNewThread {
                continuation.resume(with: Result { try runParser(directory) })
            }
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode([StoredMessage].self, from: data)
    }

    private static func runParser(_ directory: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", parser, directory]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }

    private static let parser = #"""
        import email, email.policy, glob, json, os, sys, base64
        out = []
        for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml"))):
            with open(path, "rb") as f:
                msg = email.message_from_binary_file(f, policy=email.policy.default)
            with open(path[:-4] + ".json") as f:
                env = json.load(f)
            text = msg.get_body(preferencelist=("plain",))
            html = msg.get_body(preferencelist=("html",))
            parts = [{"filename": p.get_filename(), "content_type": p.get_content_type(),
                      "base64": base64.b64encode(p.get_payload(decode=True)).decode()}
                     for p in msg.iter_attachments()]
            out.append({"envelope_from": env["from"], "envelope_to": env["to"],
                        "messageID": (msg["Message-ID"] or "").strip().strip("<>"),
                        "subject": str(msg["Subject"] or ""), "from": str(msg["From"] or ""),
                        "bcc": str(msg["Bcc"] or ""),
                        "headers": {k.lower(): str(v) for k, v in msg.items()},
                        "text": text.get_content() if text is not None else None,
                        "html": html.get_content() if html is not None else None,
                        "attachments": parts})
        json.dump(out, sys.stdout)
        """#
}
