import Testing

@testable import QueueMailerCore

@Suite("Control characters")
struct ControlCharacterTests {
    @Test("isControl is exactly Unicode's Cc category across the Basic Multilingual Plane and beyond")
    func isControlMatchesCategory() {
        let scalars = (0..<0x1_0000).compactMap(Unicode.Scalar.init) + [Unicode.Scalar(0x1F600)!, "\u{10FFFF}"]
        let differing = scalars.filter { $0.isControl != ($0.properties.generalCategory == .control) }
        #expect(differing.isEmpty, "\(differing.map(\.value))")
    }

    @Test("a body with a NUL character is refused, naming the field")
    func nulInBody() throws {
        let line = #"{"idempotency_key":"k","from":"a@b.c","to":["d@e.f"],"text":"a\u0000b"}"#
        let error = #expect(throws: MailerError.self) { try SendRequest.parse(line: line) }
        #expect(error?.field == "text")
    }
}

@Suite("MailAddress checks")
struct MailAddressCheckTests {
    @Test(
        "plain addresses pass",
        arguments: [
            "a@b.c", "first.last+tag@sub.example-domain.org", "x@localhost", "UPPER@EXAMPLE.COM", "o'neil@x.io",
            "1@2.3", String(repeating: "l", count: 64) + "@" + String(repeating: "d", count: 63) + ".org",
        ])
    func valid(_ address: String) throws {
        #expect(try MailAddress.validated(name: "Ana", address: address).get().address == address)
    }

    @Test(
        "bad addresses are refused with the reason",
        arguments: [
            ("", "empty"), ("a b@c.d", "spaces"), ("é@x.y", "non-ASCII"), ("tab\t@x.y", "control"), ("@x.y", "form"),
            ("abc", "form"), ("a@", "not a domain"), ("a@.x", "not a domain"), ("a@x..y", "not a domain"),
            ("a@-x.y", "not a domain"), ("a@x-.y", "not a domain"), ("a@x_y.z", "not a domain"),
            (".a@x.y", "dot"), ("a.@x.y", "dot"), ("a..b@x.y", "dot"), ("a<b@x.y", "quoting"),
            ("a\"b@x.y", "quoting"), ("a@b@c.d", "quoting"), (String(repeating: "l", count: 65) + "@x.y", "64 octets"),
            ("a@" + String(repeating: "d", count: 64) + ".org", "not a domain"),
            (
                "a@" + Array(repeating: String(repeating: "d", count: 60), count: 5).joined(separator: "."),
                "not a domain"
            ),
        ])
    func invalid(_ address: String, _ reason: String) {
        guard case .failure(let problem) = MailAddress.validated(name: nil, address: address) else {
            Issue.record("\(address) passed")
            return
        }
        #expect(problem.reason.contains(reason), "\(problem.reason)")
    }

    @Test("a name with a control character is refused") func controlInName() {
        #expect((try? MailAddress.validated(name: "A\u{85}B", address: "a@b.c").get()) == nil)
    }
}

@Suite("message_id checks")
struct MessageIDCheckTests {
    static func line(_ id: String) -> String {
        #"{"idempotency_key":"k","from":"a@b.c","to":["d@e.f"],"text":"x","message_id":"\#(id)"}"#
    }

    @Test(
        "printable ASCII with an at sign passes, angle brackets dropped",
        arguments: [
            ("abc.1@example.com", "abc.1@example.com"), ("<abc@x>", "abc@x"),
            (String(repeating: "i", count: 248) + "@x", String(repeating: "i", count: 248) + "@x"),
        ])
    func valid(_ id: String, _ stored: String) throws {
        #expect(try SendRequest.parse(line: Self.line(id)).messageID == stored)
    }

    @Test(
        "anything else is refused naming the field",
        arguments: [
            "no-at-sign", "a b@c", "é@x", "a<b@c", "<<a@b>>", "a>b@c", String(repeating: "i", count: 249) + "@x",
        ])
    func invalid(_ id: String) {
        let error = #expect(throws: MailerError.self) { try SendRequest.parse(line: Self.line(id)) }
        #expect(error?.field == "message_id")
    }
}
