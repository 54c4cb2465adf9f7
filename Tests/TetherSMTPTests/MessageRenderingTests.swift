import Foundation
import Testing
import TetherTestKit

@testable import TetherSMTP

@Suite("Email rendering")
struct MessageRenderingTests {
    func email(text: String? = "Hello", subject: String = "Hi") -> Email {
        var email = Email(
            from: address("sender@example.com"), subject: subject, messageID: "fixed.1@example.com",
            date: Date(timeIntervalSince1970: 1_700_000_000))
        email.to = [address("ada@example.com")]
        email.text = text
        return email
    }

    @Test("headers carry an RFC 5322 date, the supplied Message-ID and MIME-Version")
    func headers() throws {
        let rendered = try email().render().string
        #expect(rendered.contains("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"))
        #expect(rendered.contains("Message-ID: <fixed.1@example.com>\r\n"))
        #expect(rendered.contains("MIME-Version: 1.0\r\n"))
        #expect(rendered.contains("To: ada@example.com\r\n"))
    }

    @Test("a generated Message-ID is fixed when the value is made, so renders are identical")
    func stableMessageID() throws {
        let email = Email(from: address("a@example.com"), subject: "x")
        #expect(email.messageID.hasSuffix("@example.com"))
        var copy = email
        copy.to = [address("b@example.com")]
        #expect(try copy.render() == copy.render())
        #expect(copy.messageID == email.messageID)
    }

    @Test("a UTF-8 subject becomes RFC 2047 words that decode to the original, folded under 78 columns")
    func encodedSubject() throws {
        let subject = String(repeating: "Grüße aus Köln – 東京 ", count: 6)
        let rendered = try email(subject: subject).render().string
        let lines = rendered.components(separatedBy: "\r\n")
        let start = try #require(lines.firstIndex { $0.hasPrefix("Subject:") })
        var field = [lines[start]]
        for line in lines[(start + 1)...] where line.hasPrefix(" ") { field.append(line) }
        #expect(field.count > 1)
        #expect(field.allSatisfy { $0.utf8.count <= 78 && $0.allSatisfy(\.isASCII) })
        let words = field.joined().dropFirst("Subject:".count).split(separator: " ")
        let decoded = words.map { word -> String in
            let payload = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            return String(decoding: Data(base64Encoded: String(payload))!, as: UTF8.self)
        }.joined()
        #expect(decoded == subject)
    }

    @Test("a non-ASCII display name is encoded; an ASCII one with specials is quoted")
    func displayNames() throws {
        var message = email()
        message.to = [
            try EmailAddress("a@example.com", displayName: "Zoë"),
            try EmailAddress("b@example.com", displayName: "Doe, John"),
        ]
        let rendered = try message.render().string
        #expect(rendered.contains("=?UTF-8?B?Wm/Dqw==?= <a@example.com>"))
        #expect(rendered.contains("\"Doe, John\" <b@example.com>"))
    }

    @Test("S10: a text line over 998 octets is quoted-printable with short lines, decoding to the original")
    func longLine() throws {
        let text = String(repeating: "0123456789", count: 250) + "\r\nshort line\r\n"
        let rendered = try email(text: text).render()
        #expect(Decode.lines(rendered).allSatisfy { $0.count <= 998 })
        #expect(rendered.string.contains("Content-Transfer-Encoding: quoted-printable"))
        #expect(Decode.singlePartBody(rendered) == Array(text.utf8))
    }

    @Test("S11: bare CR and LF become CRLF; no sequence can end the data early")
    func bareLineEndings() throws {
        let message = try OutgoingMessage(
            raw: Array("Subject: x\n\na\n.\nb\r.\rc\r\n.\r\n".utf8),
            sender: address("a@example.com"), recipients: [address("b@example.com")])
        #expect(message.content.string == "Subject: x\r\n\r\na\r\n.\r\nb\r\n.\r\nc\r\n.\r\n")
        let wire = ContentEncoding.dotStuffed(message.content)
        #expect(wire.string == "Subject: x\r\n\r\na\r\n..\r\nb\r\n..\r\nc\r\n..\r\n.\r\n")
        for (index, byte) in wire.enumerated() {
            if byte == 0x0A { #expect(index > 0 && wire[index - 1] == 0x0D) }
            if byte == 0x0D { #expect(index + 1 < wire.count && wire[index + 1] == 0x0A) }
        }
    }

    @Test("S9: lines starting with a dot are stuffed, and unstuffing gives the content back")
    func dotStuffing() throws {
        let text = ".leading\r\n.\r\n..two\r\nmiddle . dot\r\n"
        let content = try email(text: text).render()
        let wire = ContentEncoding.dotStuffed(content)
        let lines = Decode.lines(Array(wire.dropLast(3)))
        #expect(lines.contains { Array($0) == Array("..leading".utf8) })
        #expect(lines.contains { Array($0) == Array("..".utf8) })
        let unstuffed = lines.dropLast().map { $0.first == 0x2E ? Array($0.dropFirst()) : Array($0) }
        #expect(unstuffed.map { $0 + [0x0D, 0x0A] }.flatMap { $0 } == content)
    }

    @Test("text and HTML form a multipart/alternative; attachments a multipart/mixed")
    func multipart() throws {
        var message = email()
        message.html = "<p>Hello</p>"
        message.attachments = [Attachment(filename: "report.pdf", contentType: "application/pdf", content: [1, 2, 3])]
        let rendered = try message.render().string
        #expect(rendered.contains("multipart/mixed"))
        #expect(rendered.contains("multipart/alternative"))
        #expect(rendered.contains("Content-Disposition: attachment; filename=\"report.pdf\""))
        #expect(rendered.contains("AQID\r\n"))
        #expect(rendered.contains("<p>Hello</p>"))
    }

    @Test("an inline part makes a multipart/related with its Content-ID; a UTF-8 file name uses RFC 2231")
    func inlinePart() throws {
        var message = email()
        message.html = "<img src=\"cid:logo\">"
        message.attachments = [
            Attachment(filename: "logo.png", contentType: "image/png", content: [0], contentID: "logo"),
            Attachment(filename: "Übersicht.txt", content: Array("x".utf8)),
        ]
        let rendered = try message.render().string
        #expect(rendered.contains("multipart/related"))
        #expect(rendered.contains("Content-ID: <logo>"))
        #expect(rendered.contains("filename*=UTF-8''%C3%9Cbersicht.txt"))
    }

    @Test("headers the builder writes cannot be added again, and header values cannot hold line breaks")
    func customHeaders() throws {
        var message = email()
        message.headers = [(name: "X-Campaign", value: "spring")]
        #expect(try message.render().string.contains("X-Campaign: spring\r\n"))
        message.headers = [(name: "Subject", value: "again")]
        #expect(throws: SMTPError.self) { try message.render() }
        message.headers = [(name: "X-Evil", value: "a\r\nBcc: x@y.example")]
        let error = #expect(throws: SMTPError.self) { try message.render() }
        #expect(error?.code == .controlCharacter)
    }

    @Test("a raw message with a line over 998 octets is refused with the line length")
    func rawTooLong() {
        let raw = Array(("Subject: x\r\n\r\n" + String(repeating: "a", count: 1000)).utf8)
        let error = #expect(throws: SMTPError.self) {
            try OutgoingMessage(raw: raw, sender: nil, recipients: [address("b@example.com")])
        }
        #expect(error?.detail.contains("1000") == true)
    }

    @Test("bcc recipients are in the envelope and not in a header; duplicates are sent once")
    func bcc() throws {
        var message = email()
        message.cc = [address("ADA@example.com")]
        message.bcc = [address("hidden@example.com")]
        let outgoing = try OutgoingMessage(message)
        #expect(outgoing.recipients.map(\.address) == ["ada@example.com", "hidden@example.com"])
        #expect(!outgoing.content.string.contains("hidden"))
    }

    @Test("a subject, display name or header word longer than a line is encoded so no line exceeds 998 octets")
    func longWords() throws {
        var message = email(subject: String(repeating: "s", count: 2000))
        message.to = [try EmailAddress("a@example.com", displayName: String(repeating: "n", count: 1500))]
        message.headers = [(name: "X-Long", value: String(repeating: "h", count: 1200))]
        let rendered = try message.render()
        #expect(Decode.lines(rendered).allSatisfy { $0.count <= 998 })
    }

    @Test("a message whose recipients were emptied after building is refused, not sent")
    func emptiedRecipients() async throws {
        var outgoing = try OutgoingMessage(email())
        outgoing.recipients = []
        let stream = ScriptedByteStream()
        let connection = try await Script.connection(stream)
        let before = stream.transcript
        let error = await #expect(throws: SMTPError.self) { try await connection.send(outgoing) }
        #expect(error?.field == "recipients" && stream.transcript == before && connection.isReusable)
    }
}
