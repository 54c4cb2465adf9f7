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
