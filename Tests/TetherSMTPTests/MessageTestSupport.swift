import Foundation

@testable import TetherSMTP

/// Decoders for checking rendered messages: what a receiving client would do.
enum Decode {
    /// Quoted-printable to bytes (soft breaks removed, `=HH` decoded).
    static func quotedPrintable(_ text: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < text.count {
            let byte = text[index]
            if byte == UInt8(ascii: "="), index + 2 < text.count + 0 {
                if text[index + 1] == 0x0D && text[index + 2] == 0x0A {
                    index += 3
                    continue
                }
                let hex = String(decoding: text[(index + 1)...(index + 2)], as: UTF8.self)
                output.append(UInt8(hex, radix: 16)!)
                index += 3
            } else {
                output.append(byte)
                index += 1
            }
        }
        return output
    }

    /// The lines of CRLF-separated `bytes`.
    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { $0.last == 0x0D ? $0.dropLast() : $0 }
    }

    /// The body of a single-part message (after the blank line), decoded by its
    /// Content-Transfer-Encoding.
    static func singlePartBody(_ message: [UInt8]) -> [UInt8] {
        let text = String(decoding: message, as: UTF8.self)
        let split = text.range(of: "\r\n\r\n")!
        let body = Array(text[split.upperBound...].utf8)
        return text[..<split.lowerBound].contains("quoted-printable") ? quotedPrintable(body) : body
    }
}

extension Array where Element == UInt8 {
    var string: String { String(decoding: self, as: UTF8.self) }
}

func address(_ text: String) -> EmailAddress {
    try! EmailAddress(text)
}
