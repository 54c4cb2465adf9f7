@testable import TetherSMTP

/// The address parser must never crash; what it accepts must be safe to write between the
/// angle brackets of `MAIL FROM:<...>` and in a header, and must parse again to itself.
///
/// Input: the address, then optionally a zero byte and a display name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEmailAddress(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let parts = fields(fuzzInput(data, size), limit: 2)
    let text = String(decoding: parts[0], as: UTF8.self)
    let name = parts.count > 1 ? String(decoding: parts[1], as: UTF8.self) : nil
    guard let address = try? EmailAddress(text, displayName: name) else {
        return 0
    }
    let written = Array(address.address.utf8)
    require(written.count <= 254, "\(written.count) octets accepted")
    require(address.localPart.utf8.count <= 64, "a local part of \(address.localPart.utf8.count) octets")
    require(!written.contains { $0 <= 0x20 || $0 == 0x7F }, "a control character or space in \(written)")
    require(!written.contains { "<>\"\\,;()".utf8.contains($0) }, "a delimiter in \(written)")
    let again = try? EmailAddress(address.address)
    require(again?.address == address.address, "'\(address.address)' does not parse again")
    if let displayName = address.displayName {
        checkPhrase(HeaderEncoding.phrase(displayName), of: displayName)
    }
    return 0
}

/// A display name written as a header phrase holds no control character, and a quoted one
/// unquotes to the name.
private func checkPhrase(_ phrase: String, of name: String) {
    require(!phrase.utf8.contains { $0 < 0x20 || $0 == 0x7F }, "a control character in the phrase \(phrase)")
    guard phrase.hasPrefix("\""), phrase.utf8.allSatisfy({ $0 < 0x80 }) else {
        return
    }
    var unquoted: [UInt8] = []
    var escaped = false
    for byte in phrase.utf8.dropFirst().dropLast() {
        if !escaped && byte == UInt8(ascii: "\\") {
            escaped = true
            continue
        }
        require(escaped || byte != UInt8(ascii: "\""), "an unescaped quote inside \(phrase)")
        unquoted.append(byte)
        escaped = false
    }
    require(String(decoding: unquoted, as: UTF8.self) == name, "\(phrase) does not unquote to \(name)")
}
