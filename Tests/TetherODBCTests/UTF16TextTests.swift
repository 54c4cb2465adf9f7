import CTetherODBC
import Testing
import TetherTestKit

@testable import TetherODBC

@Suite("UTF-16 text from the driver")
struct UTF16TextTests {
    private func units(_ text: String) -> [SQLWCHAR] { text.utf16.map { SQLWCHAR($0) } }

    @Test(
        "ASCII, accented letters, other scripts and emoji read back as written",
        arguments: [
            "", "a", "SELECT 1", "Grüße aus Köln", "日本語のメール", "smile 😀 done", "tab\tand\r\nlines",
        ])
    func roundTrip(text: String) {
        #expect(UTF16Text.string(units(text)) == text)
    }

    @Test("a lone surrogate becomes U+FFFD, as the general decoder makes it")
    func loneSurrogate() {
        let broken: [SQLWCHAR] = [0x61, 0xD800, 0x62]
        #expect(UTF16Text.string(broken) == "a\u{FFFD}b")
    }

    @Test("any sequence of units reads as the general decoder reads it")
    func agreesWithDecoder() {
        var random = SeededGenerator(seed: 2026)
        for _ in 0..<500 {
            let length = Int.random(in: 0...40, using: &random)
            let asciiOnly = Bool.random(using: &random)
            let sample: [SQLWCHAR] = (0..<length).map { _ in
                asciiOnly
                    ? SQLWCHAR.random(in: 0...0x7F, using: &random) : SQLWCHAR.random(in: 0...0xFFFF, using: &random)
            }
            #expect(UTF16Text.string(sample) == String(decoding: sample, as: UTF16.self), "\(sample)")
        }
    }
}
