import Testing

@testable import TetherSMTP

@Suite("EmailAddress")
struct EmailAddressTests {
    @Test(
        "valid addresses parse",
        arguments: [
            "a@b.example", "first.last+tag@mail.example.com", "o'neil@x.io", "user@[127.0.0.1]", "jörg@bücher.de",
        ])
    func valid(text: String) throws {
        let address = try EmailAddress(text)
        #expect(address.address == text)
    }

    @Test(
        "S8: control characters are refused, naming the field",
        arguments: ["a@b.example\r\nDATA\r\n", "a\n@b.example", "a@b\u{0}.example", "a\t@b.example", "a@b.ex\u{7F}"])
    func controlCharacters(text: String) {
        let error = #expect(throws: SMTPError.self) { try EmailAddress(text, field: "to[1]") }
        #expect(error?.code == .controlCharacter)
        #expect(error?.field == "to[1]")
        #expect(error?.description.contains("to[1]") == true)
    }

    @Test(
        "malformed addresses are refused with a reason",
        arguments: [
            "", "plain", "@b.example", "a@", "a..b@c.example", ".a@b.example", "a b@c.example", "<a@b.example>",
            "\"quoted\"@b.example", "a@-b.example", "a@b..example", "a@b.example:25",
        ])
    func malformed(text: String) {
        let error = #expect(throws: SMTPError.self) { try EmailAddress(text) }
        #expect(error?.code == .invalidInput)
    }

    @Test("a display name with a line break is refused")
    func displayName() {
        #expect(throws: SMTPError.self) { try EmailAddress("a@b.example", displayName: "Eve\r\nBcc: x@y.example") }
    }

    @Test("non-ASCII addresses need SMTPUTF8")
    func utf8() throws {
        #expect(try EmailAddress("jörg@example.de").requiresSMTPUTF8)
        #expect(try !EmailAddress("joerg@example.de").requiresSMTPUTF8)
    }
}
