import Foundation
import Testing

@testable import TetherSMTP

/// Subjects that break the MessageEncoding fuzz target's properties (Fuzz/MessageEncoding),
/// kept so they stay fixed: every line of the message is at most 998 octets, and the subject
/// decodes back to what was given.
@Suite("Message encoding: fuzz regressions")
struct MessageEncodingFuzzRegressionTests {
    @Test(
        "fuzz: an over-long subject word or 600 combining marks keeps every line under 998 octets",
        arguments: [
            String(repeating: "a", count: 1000), "x" + String(repeating: "\u{301}", count: 600),
            "short " + String(repeating: "b", count: 2000) + " words",
        ])
    func longSubjectStaysUnderTheLineLimit(subject: String) throws {
        var email = Email(from: try EmailAddress("sender@example.com"), subject: subject, messageID: "r@example.com")
        email.to = [try EmailAddress("rcpt@example.com")]
        email.text = "body"
        let content = try OutgoingMessage(email).content
        let lines = content.split(separator: UInt8(ascii: "\n")).map { $0.count - 1 }
        #expect(lines.allSatisfy { $0 <= 998 })
        #expect(Self.decodedSubject(content) == subject)
    }

    @Test("a plain subject of short words is left as it is")
    func plainSubjectStaysPlain() {
        #expect(HeaderEncoding.encodedText("Nightly report for 2026-12-04") == "Nightly report for 2026-12-04")
    }

    /// The Subject field unfolded and its encoded words decoded.
    private static func decodedSubject(_ content: [UInt8]) -> String? {
        let text = String(decoding: content, as: UTF8.self).replacingOccurrences(of: "\r\n ", with: " ")
        guard let line = text.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("Subject: ") }) else {
            return nil
        }
        let value = line.dropFirst("Subject: ".count)
        guard value.hasPrefix("=?UTF-8?B?") else {
            return String(value)
        }
        var bytes = Data()
        for word in value.split(separator: " ") {
            guard let decoded = Data(base64Encoded: String(word.dropFirst(10).dropLast(2))) else {
                return nil
            }
            bytes += decoded
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
