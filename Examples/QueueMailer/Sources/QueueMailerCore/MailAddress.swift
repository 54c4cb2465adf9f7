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
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return AddressProblem(reason: "the name contains a control character (such as a line break)")
        }
        return name.count > 200 ? AddressProblem(reason: "the name is longer than 200 characters") : nil
    }

    private static func problem(inAddress address: String) -> AddressProblem? {
        guard !address.isEmpty else { return AddressProblem(reason: "the address is empty") }
        guard address.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) else {
            return AddressProblem(reason: "\"\(address.prefix(80))\" has spaces, control or non-ASCII characters")
        }
        guard let at = address.lastIndex(of: "@"), at != address.startIndex else {
            return AddressProblem(reason: "\"\(address)\" is not of the form local@domain")
        }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        if local.utf8.count > 64 { return AddressProblem(reason: "the local part of \"\(address)\" is over 64 octets") }
        if local.contains(where: { "<>,;:\"()[]\\@".contains($0) }) {
            return AddressProblem(reason: "the local part of \"\(address)\" has a character that needs quoting")
        }
        if local.hasPrefix(".") || local.hasSuffix(".") || local.contains("..") {
            return AddressProblem(reason: "the local part of \"\(address)\" has a misplaced dot")
        }
        return isValidDomain(domain) ? nil : AddressProblem(reason: "\"\(domain)\" in \"\(address)\" is not a domain")
    }

    private static func isValidDomain(_ domain: Substring) -> Bool {
        guard !domain.isEmpty, domain.utf8.count <= 253 else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
