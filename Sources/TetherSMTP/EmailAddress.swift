/// A mailbox address (`local@domain`), parsed strictly, with an optional display name.
///
/// Accepted: a dot-atom local part (RFC 5322 `atext` and UTF-8) up to 64 octets, a domain
/// of letters, digits, hyphens and UTF-8 labels or an address literal such as `[127.0.0.1]`,
/// at most 254 octets in all. Refused with a clear error: control characters, spaces,
/// quoted local parts, comments, angle brackets, empty labels and leading or trailing dots.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The part before the `@`.
    public let localPart: String
    /// The part after the `@`.
    public let domain: String
    /// The name shown in headers (`"Ada Lovelace" <ada@example.com>`); never sent in SMTP commands.
    public let displayName: String?

    /// Parses `address`.
    ///
    /// - Parameters:
    ///   - address: the bare address, without angle brackets.
    ///   - displayName: a name for headers; control characters are refused.
    ///   - field: the name used in errors, such as `to[2]`. Defaults to `address`.
    /// - Throws: ``SMTPError`` with ``SMTPError/Code/controlCharacter`` or
    ///   ``SMTPError/Code/invalidInput`` naming `field` and what was wrong.
    public init(_ address: String, displayName: String? = nil, field: String = "address") throws(SMTPError) {
        if address.utf8.contains(where: Self.isControl) { throw SMTPError.controlCharacter(in: field) }
        if let displayName, displayName.utf8.contains(where: Self.isControl) {
            throw SMTPError.controlCharacter(in: "\(field) display name")
        }
        guard let at = address.utf8.lastIndex(of: UInt8(ascii: "@")) else {
            throw SMTPError.invalid(field, "'\(address)' has no '@'")
        }
        let local = Substring(address.utf8[..<at])
        let domain = Substring(address.utf8[address.utf8.index(after: at)...])
        try Self.checkLocalPart(local, field: field)
        try Self.checkDomain(domain, field: field)
        guard address.utf8.count <= 254 else { throw SMTPError.invalid(field, "the address is longer than 254 octets") }
        self.localPart = String(local)
        self.domain = String(domain)
        self.displayName = displayName?.isEmpty == true ? nil : displayName
    }

    /// `local@domain`, as written in MAIL FROM and RCPT TO.
    public var address: String { "\(localPart)@\(domain)" }

    /// Whether the address holds non-ASCII characters and so needs the SMTPUTF8 extension.
    public var requiresSMTPUTF8: Bool { !address.utf8.allSatisfy { $0 < 0x80 } }

    public var description: String { address }

    static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

    private static let atextSymbols = Set("!#$%&'*+-/=?^_`{|}~".utf8)

    private static func checkLocalPart(_ local: Substring, field: String) throws(SMTPError) {
        guard !local.isEmpty else { throw SMTPError.invalid(field, "the local part before '@' is empty") }
        guard local.utf8.count <= 64 else { throw SMTPError.invalid(field, "the local part is longer than 64 octets") }
        for atom in local.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !atom.isEmpty else {
                throw SMTPError.invalid(field, "the local part has an empty dot-separated part")
            }
            for byte in atom where !(isAlphanumeric(byte) || atextSymbols.contains(byte) || byte >= 0x80) {
                throw SMTPError.invalid(field, "the local part holds '\(Unicode.Scalar(byte))', which is not allowed")
            }
        }
    }

    private static func checkDomain(_ domain: Substring, field: String) throws(SMTPError) {
        guard !domain.isEmpty else { throw SMTPError.invalid(field, "the domain after '@' is empty") }
        guard domain.utf8.count <= 253 else { throw SMTPError.invalid(field, "the domain is longer than 253 octets") }
        if domain.hasPrefix("[") {
            let literal = domain.dropFirst().dropLast()
            let allowed = literal.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == 0x3A }
            guard domain.hasSuffix("]"), !literal.isEmpty, allowed else {
                throw SMTPError.invalid(field, "the address literal '\(domain)' is malformed")
            }
            return
        }
        for label in domain.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.count <= 63 else {
                throw SMTPError.invalid(field, "the domain '\(domain)' has an empty or over-long label")
            }
            guard label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else {
                throw SMTPError.invalid(field, "a label of the domain '\(domain)' starts or ends with '-'")
            }
            for byte in label where !(isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte >= 0x80) {
                throw SMTPError.invalid(field, "the domain holds '\(Unicode.Scalar(byte))', which is not allowed")
            }
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}
