import Foundation
import Testing

@testable import QueueMailerCore

@Suite("JSONValue text without Foundation's coders")
struct JSONValueTextTests {
    /// What `compactText` wrote before it had its own writer: the reference it must match.
    static func encoderText(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static let everyASCII = String(String.UnicodeScalarView((0..<0x80).compactMap(Unicode.Scalar.init)))

    @Test(
        "compact text matches the encoder byte for byte",
        arguments: [
            JSONValue.array([]), .object([:]), .null, .bool(true), .bool(false), .number(250), .number(-0.0),
            .number(0.1), .number(-2.5e-7), .number(1.5e300), .number(9.5e15), .string(everyASCII),
            .string("é ✓ 😀 \u{2028} a/b"),
            .object(["text": .string("5.1.1 <ana@example.org>: \"no\"\r\n"), "code": .number(550), "B": .null]),
            .array([.object(["address": .string("a@b.c"), "accepted": .bool(true), "nested": .array([.number(1)])])]),
        ])
    func compactText(_ value: JSONValue) throws {
        #expect(value.compactText == (try Self.encoderText(value)))
    }

    @Test("a number that is not finite is left to the encoder") func notFinite() {
        #expect(JSONValue.array([.number(.infinity)]).compactTextWithoutEncoder() == nil)
        #expect(JSONValue.number(.nan).compactText == "null")
    }

    @Test(
        "plain lists read as the parser reads them",
        arguments: ["[]", "{}", #"["ana@example.org"]"#, #"["a@b.c","é@ü.de","x y"]"#, #"[""]"#])
    func plainLists(_ text: String) throws {
        let plain = try #require(JSONValue.plainList(text))
        #expect(plain == (try JSONValue.parse(text, kind: .request, what: "column")))
    }

    @Test(
        "anything else is left to the parser",
        arguments: [
            "", "[", "[ ]", #"["a" ]"#, #"["a\"b"]"#, "[\"tab\there\"]", #"["a",]"#, #"["a"]x"#, "{}x", #"[1]"#,
            #"{"a":"b"}"#, #"["unterminated"#, "null",
        ])
    func notPlain(_ text: String) {
        #expect(JSONValue.plainList(text) == nil)
    }
}
