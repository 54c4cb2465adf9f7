import Foundation
import QueueMailerCore
import Testing

@Suite("SendRequest")
struct SendRequestTests {
    private static let minimal =
        #"{"idempotency_key": "k1", "from": "a@example.com", "to": ["b@example.org"], "text": "hi"}"#

    @Test("a minimal line reads with defaults")
    func minimal() throws {
        let request = try SendRequest.parse(line: Self.minimal)
        #expect(request.idempotencyKey == "k1")
        #expect(request.queue == "default")
        #expect(request.to == [MailAddress(address: "b@example.org")])
        #expect(request.text == "hi")
        #expect(request.maxAttempts == nil)
    }

    @Test("every sample except the bad one reads, and survives a round trip through JSON")
    func samplesRoundTrip() throws {
        let lines = try Samples.requestLines()
        var good = 0
        for line in lines where !line.contains("order-1044-bad-address") {
            let request = try SendRequest.parse(line: line)
            let again = try SendRequest.read(FieldReader(request.jsonValue, path: "", kind: .request))
            #expect(again == request)
            good += 1
        }
        #expect(good == lines.count - 1)
    }

    @Test("the bad sample is refused naming the recipient field")
    func badSample() throws {
        let line = try #require(try Samples.requestLines().first { $0.contains("order-1044-bad-address") })
        let error = try #require(throws: MailerError.self) { try SendRequest.parse(line: line) }
        #expect(error.kind == .request)
        #expect(error.field == "to[0]")
    }

    @Test(
        "bad fields are named",
        arguments: [
            (#"{"from": "a@example.com", "to": "b@example.org", "text": "x"}"#, "idempotency_key"),
            (#"{"idempotency_key": "k", "to": "b@example.org", "text": "x"}"#, "from"),
            (#"{"idempotency_key": "k", "from": "a@example.com", "text": "x"}"#, "to"),
            (#"{"idempotency_key": "k", "from": "a@example.com", "to": "b@example.org"}"#, "text"),
            (
                #"{"idempotency_key": "k", "from": "a@example.com", "to": "b@example.org", "text": "x", "#
                    + #""subject": "a\r\nBcc: c@d.e"}"#,
                "subject"
            ),
            (
                #"{"idempotency_key": "k", "from": {"name": "A\nB", "address": "a@example.com"}, "#
                    + #""to": "b@example.org", "text": "x"}"#,
                "from.name"
            ),
            (
                #"{"idempotency_key": "k", "from": "a@example.com", "to": ["b@example.org", "c@-bad.org"], "#
                    + #""text": "x"}"#,
                "to[1]"
            ),
            (
                #"{"idempotency_key": "k", "from": "a@example.com", "to": "b@example.org", "text": "x", "#
                    + #""headers": {"Subject": "y"}}"#,
                "headers.Subject"
            ),
            (
                #"{"idempotency_key": "k", "from": "a@example.com", "to": "b@example.org", "text": "x", "#
                    + #""headers": {"X-A": "1\n2"}}"#,
                "headers.X-A"
            ),
            (
                #"{"idempotency_key": "k", "from": "a@example.com", "to": "b@example.org", "text": "x", "#
                    + #""attachments": [{"filename": "a", "content_base64": "!!"}]}"#,
                "attachments[0].content_base64"
            ),
            (
                #"{"idempotency_key": "k", "from": "a@example.com", "to": "b@example.org", "text": "x", "#
                    + #""attachments": [{"filename": "a", "content_type": "pdf", "content_text": "x"}]}"#,
                "attachments[0].content_type"
            ),
            (
                #"{"idempotency_key": "k", "from": "a@example.com", "to": "b@example.org", "#
                    + #""raw": "Subject: x\r\n\r\nbody", "text": "y"}"#,
                "text"
            ),
            (
                #"{"idempotency_key": "k", "from": "a@example.com", "to": "b@example.org", "text": "x", "#
                    + #""send_at": "tomorrow"}"#,
                "send_at"
            ),
            (
                #"{"idempotency_key": "k", "from": "a@example.com", "to": "b@example.org", "text": "x", "#
                    + #""max_attempts": 0}"#,
                "max_attempts"
            ),
            (
                #"{"idempotency_key": "k", "from": "a@example.com", "to": "b@example.org", "text": "x", "#
                    + #""queue": "a b"}"#,
                "queue"
            ),
            (
                #"{"idempotency_key": "k", "from": "a@example.com", "to": "b@example.org", "text": "x", "#
                    + #""colour": "red"}"#,
                "colour"
            ),
            (#"{"idempotency_key": "k", "from": "zoë@example.com", "to": "b@example.org", "text": "x"}"#, "from"),
        ])
    func badFieldNamed(line: String, field: String) throws {
        let error = try #require(throws: MailerError.self) { try SendRequest.parse(line: line) }
        #expect(error.kind == .request)
        #expect(error.field == field, "\(error)")
    }

    @Test(
        "a body over 10 MiB is refused naming its field; one at the limit reads", .serialized,
        arguments: ["text", "html", "raw"])
    func bodySizeLimit(field: String) async throws {
        @Sendable func line(bytes: Int) -> String {
            let prefix = field == "raw" ? "Subject: big\\r\\n\\r\\n" : ""
            let body = prefix + String(repeating: "y", count: bytes - (field == "raw" ? 16 : 0))
            return
                #"{"idempotency_key": "k", "from": "a@example.com", "to": ["b@example.org"], "\#(field)": "\#(body)"}"#
        }
        // Seconds of parsing in a debug build: on a thread of its own, one case at a time, so that
        // the cooperative pool (two threads here) goes on serving the other tests meanwhile.
        let (refusal, atLimit) = await onThreadOfItsOwn {
            let over = Result { try SendRequest.parse(line: line(bytes: SendRequest.maximumBodyBytes + 1)) }
            let limit = Result { try SendRequest.parse(line: line(bytes: SendRequest.maximumBodyBytes)) }
            let refusal: MailerError? = if case .failure(let error as MailerError) = over { error } else { nil }
            let problem: String? = if case .failure(let error) = limit { "\(error)" } else { nil }
            return (refusal, problem)
        }
        #expect(refusal?.field == field)
        #expect(atLimit == nil)
    }

    /// Runs `body` on a new thread and returns its result.
    private func onThreadOfItsOwn<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    @Test("a line that is not JSON is refused as such")
    func notJSON() throws {
        let error = try #require(throws: MailerError.self) { try SendRequest.parse(line: "{\"idempotency_key\": ") }
        #expect(error.reason.contains("not valid JSON"))
    }

    @Test("send_at and message_id are read; angle brackets are dropped from the id")
    func scheduling() throws {
        let line =
            #"{"idempotency_key": "k", "from": "a@example.com", "to": "b@example.org", "text": "x", "#
            + #""send_at": "2026-12-24T18:00:00Z", "message_id": "<abc.1@example.com>", "priority": -3}"#
        let request = try SendRequest.parse(line: line)
        #expect(request.messageID == "abc.1@example.com")
        #expect(request.priority == -3)
        #expect(request.sendAt == Date(timeIntervalSince1970: 1_798_135_200))
    }

    @Test("a made Message-ID is in the sender's domain and differs each time")
    func messageID() {
        let sender = MailAddress(address: "orders@northwind.example.com")
        let first = SendRequest.makeMessageID(for: sender)
        #expect(first.hasSuffix("@northwind.example.com"))
        #expect(first != SendRequest.makeMessageID(for: sender))
    }
}
