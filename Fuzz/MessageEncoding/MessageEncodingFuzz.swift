import Foundation

@testable import TetherSMTP

/// A message built from any subject and body must reach the server intact: every line ends
/// in CRLF, no line is over 998 octets, the end-of-data mark appears only at the end, and
/// what the server stores decodes to the subject and the CRLF-normalised body given.
///
/// Input: the subject, a zero byte, then the body.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMessageEncoding(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let parts = fields(fuzzInput(data, size), limit: 2)
    let subject = String(decoding: parts[0], as: UTF8.self)
    let body = parts.count > 1 ? String(decoding: parts[1], as: UTF8.self) : ""
    var email = Email(
        from: try! EmailAddress("sender@example.com"), subject: subject, messageID: "fuzz@example.com",
        date: Date(timeIntervalSince1970: 0))
    email.to = [try! EmailAddress("rcpt@example.com")]
    email.text = body
    let content: [UInt8]
    do {
        content = try OutgoingMessage(email).content
    } catch {
        require(subject.utf8.contains(where: EmailAddress.isControl), "refused: \(error)")
        return 0
    }
    guard let lines = crlfLines(content) else {
        fatalError("property violated: a bare CR or LF, or no final CRLF")
    }
    let longest = lines.map(\.count).max() ?? 0
    require(longest <= 998, "a line of \(longest) octets")
    let stored = receivedData(ContentEncoding.dotStuffed(content))
    require(stored == content, "dot stuffing does not undo to the content")
    require(storedSubject(lines) == subject, "the subject decodes to \(storedSubject(lines) ?? "nothing")")
    let expectedBody = ContentEncoding.normalizeLineEndings(body.utf8)
    require(storedBody(content) == expectedBody, "the body does not decode to the normalised input")
    return 0
}

/// What a server stores from DATA: lines up to the first lone `.`, a leading dot removed.
/// Stops the run if the data ends early or does not end with the terminator.
private func receivedData(_ wire: [UInt8]) -> [UInt8] {
    guard let lines = crlfLines(wire) else {
        fatalError("property violated: a bare CR or LF on the wire")
    }
    var stored: [UInt8] = []
    for (index, line) in lines.enumerated() {
        if line.elementsEqual([UInt8(ascii: ".")]) {
            require(index == lines.count - 1, "the end of data at line \(index) of \(lines.count)")
            return stored
        }
        stored += line.first == UInt8(ascii: ".") ? line.dropFirst() : line
        stored += [0x0D, 0x0A]
    }
    fatalError("property violated: no end-of-data line")
}

/// The Subject field unfolded and decoded (RFC 5322 unfolding, RFC 2047 `B` words).
private func storedSubject(_ lines: [ArraySlice<UInt8>]) -> String? {
    guard let start = lines.firstIndex(where: { $0.starts(with: "Subject:".utf8) }) else {
        return nil
    }
    var value = Array(lines[start].dropFirst("Subject:".utf8.count))
    for line in lines[(start + 1)...] {
        guard line.first == UInt8(ascii: " ") else {
            break
        }
        value += line
    }
    let text = String(decoding: value.dropFirst(), as: UTF8.self)
    guard text.hasPrefix("=?UTF-8?B?") else {
        return text
    }
    var decoded = Data()
    for word in text.split(separator: " ") {
        guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?="),
            let bytes = Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))
        else {
            return nil
        }
        decoded += bytes
    }
    return String(decoding: decoded, as: UTF8.self)
}

/// The body after the blank line, undone from its Content-Transfer-Encoding.
private func storedBody(_ content: [UInt8]) -> [UInt8]? {
    let blank: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A]
    guard let split = content.indices.first(where: { content[$0...].starts(with: blank) }) else {
        return nil
    }
    let header = String(decoding: content[..<split], as: UTF8.self)
    let body = Array(content[(split + 4)...])
    if header.contains("Content-Transfer-Encoding: 7bit") {
        return body
    }
    guard header.contains("Content-Transfer-Encoding: quoted-printable") else {
        return nil
    }
    return decodeQuotedPrintable(body)
}

/// RFC 2045 quoted-printable: `=XX` is a byte, `=` before CRLF is a soft line break.
private func decodeQuotedPrintable(_ encoded: [UInt8]) -> [UInt8]? {
    var output: [UInt8] = []
    var index = 0
    while index < encoded.count {
        let byte = encoded[index]
        guard byte == UInt8(ascii: "=") else {
            output.append(byte)
            index += 1
            continue
        }
        guard index + 2 < encoded.count else {
            return nil
        }
        let pair = encoded[(index + 1)...(index + 2)]
        if pair.elementsEqual([0x0D, 0x0A]) {
            index += 3
            continue
        }
        guard let value = UInt8(String(decoding: pair, as: UTF8.self), radix: 16) else {
            return nil
        }
        output.append(value)
        index += 3
    }
    return output
}
