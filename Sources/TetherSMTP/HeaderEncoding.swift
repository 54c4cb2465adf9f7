import Foundation

/// Header field encoding: RFC 2047 encoded words for non-ASCII text and RFC 5322 folding.
enum HeaderEncoding {
    /// Whether `text` can go into a header as it is: printable ASCII and spaces only.
    static func isPlainASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }

    /// Free text (a subject, a display name as a phrase) as header-safe words: unchanged when
    /// plain ASCII, otherwise RFC 2047 `=?UTF-8?B?...?=` words of at most 75 characters that
    /// never split a UTF-8 character.
    ///
    /// Words are cut between Unicode scalars, not `Character`s: one `Character` may hold any
    /// number of combining marks, and an encoded word must stay short for folding to keep
    /// every line under 998 octets.
    static func encodedText(_ text: String) -> String {
        if isPlainASCII(text) && !text.contains("=?") && !hasLongWord(text) { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            // 39 input bytes make 52 base64 characters: 64 with "=?UTF-8?B?" and "?=", so a folded
            // line with a header name stays under 78.
            if chunk.count + bytes.count > 39 {
                words.append(encodedWord(chunk))
                chunk = []
            }
            chunk.append(contentsOf: bytes)
        }
        if !chunk.isEmpty { words.append(encodedWord(chunk)) }
        return words.joined(separator: " ")
    }

    /// A display name as a header phrase: an atom-only name unchanged, otherwise quoted when
    /// ASCII, encoded words when not.
    static func phrase(_ name: String) -> String {
        guard isPlainASCII(name), !hasLongWord(name) else { return encodedText(name) }
        let atomSafe = name.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) || " !#$%&'*+-/=?^_`{|}~".unicodeScalars.contains($0)
        }
        if atomSafe && !name.contains("=?") { return name }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\""
    }

    /// `Name: value` folded at spaces so that lines stay under 78 characters where the value
    /// allows it, each line ended by CRLF.
    static func field(_ name: String, _ value: String) -> [UInt8] {
        var output = Array("\(name):".utf8)
        var column = output.count
        for (index, word) in value.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
            let needed = word.utf8.count + 1
            if index > 0 && column + needed > 78 {
                output.append(contentsOf: [ContentEncoding.cr, ContentEncoding.lf])
                column = 0
            }
            output.append(UInt8(ascii: " "))
            output.append(contentsOf: word.utf8)
            column += needed
        }
        output.append(contentsOf: [ContentEncoding.cr, ContentEncoding.lf])
        return output
    }

    /// Whether a word is too long to fold under the 998-octet line limit; such text is sent
    /// as encoded words, which split anywhere.
    private static func hasLongWord(_ text: String) -> Bool {
        text.split(separator: " ").contains { $0.utf8.count > 900 }
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?" + Data(bytes).base64EncodedString() + "?="
    }
}
