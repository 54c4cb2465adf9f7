/// A mailbox: an address and an optional display name.
public struct MailAddress: Sendable, Equatable, CustomStringConvertible {
    /// The display name, any Unicode text without control characters; `nil` for none.
    public let name: String?
    /// The address, `local@domain`, ASCII only.
    public let address: String

    /// A mailbox, unchecked; use ``validated(name:address:)`` for input.
    public init(name: String? = nil, address: String) {
        self.name = name
        self.address = address
    }

    public var description: String {
        guard let name else { return address }
        return "\(name) <\(address)>"
    }

    /// The domain part of the address.
    public var domain: Substring {
        address[address.index(after: address.lastIndex(of: "@") ?? address.startIndex)...]
    }

    /// A checked mailbox, or the reason it is not one.
    ///
    /// The address must be `local@domain` in printable ASCII, without spaces, angle brackets,
    /// commas or quotes; the local part at most 64 octets, the domain at most 253, made of dot
    /// separated labels of letters, digits and hyphens. Non-ASCII addresses would need SMTPUTF8,
    /// which the mailer does not use.
    public static func validated(name: String?, address: String) -> Result<MailAddress, AddressProblem> {
        if let name, let problem = problem(inName: name) { return .failure(problem) }
        if let problem = problem(inAddress: address) { return .failure(problem) }
        let trimmedName = name.flatMap { $0.isEmpty ? nil : $0 }
        return .success(MailAddress(name: trimmedName, address: address))
    }

    /// Why a mailbox was refused.
    public struct AddressProblem: Error, Sendable, Equatable {
        /// The reason, for an error message.
        public let reason: String
    }

    private static func problem(inName name: String) -> AddressProblem? {
        if name.unicodeScalars.contains(where: \.isControl) {
            return AddressProblem(reason: "the name contains a control character (such as a line break)")
        }
        return name.count > 200 ? AddressProblem(reason: "the name is longer than 200 characters") : nil
    }

    // Once the address is known to be printable ASCII, one byte is one character: the checks
    // below read bytes rather than grapheme clusters, which is what a claim costs per recipient.
    private static func problem(inAddress address: String) -> AddressProblem? {
        let bytes = Array(address.utf8)
        guard !bytes.isEmpty else { return AddressProblem(reason: "the address is empty") }
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return AddressProblem(reason: "\"\(address.prefix(80))\" has spaces, control or non-ASCII characters")
        }
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")), at != 0 else {
            return AddressProblem(reason: "\"\(address)\" is not of the form local@domain")
        }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        if local.count > 64 { return AddressProblem(reason: "the local part of \"\(address)\" is over 64 octets") }
        if local.contains(where: needsQuoting.contains) {
            return AddressProblem(reason: "the local part of \"\(address)\" has a character that needs quoting")
        }
        let dot = UInt8(ascii: ".")
        if local.first == dot || local.last == dot
            || zip(local, local.dropFirst()).contains(where: { $0 == dot && $1 == dot })
        {
            return AddressProblem(reason: "the local part of \"\(address)\" has a misplaced dot")
        }
        guard isValidDomain(domain) else {
            return AddressProblem(
                reason: "\"\(String(decoding: domain, as: UTF8.self))\" in \"\(address)\" is not a domain")
        }
        return nil
    }

    private static let needsQuoting = Set("<>,;:\"()[]\\@".utf8)

    private static func isValidDomain(_ domain: ArraySlice<UInt8>) -> Bool {
        guard !domain.isEmpty, domain.count <= 253 else { return false }
        let hyphen = UInt8(ascii: "-")
        return domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != hyphen && label.last != hyphen
                && label.allSatisfy { byte in
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
                        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == hyphen
                }
        }
    }
}
