/// The SMTP commands the client writes, each checked for control characters before use.
enum SMTPCommand: Sendable {
    case hello(extended: Bool, name: String)
    case startTLS
    case auth(mechanism: String, initialResponse: String?)
    case authResponse(String)
    case mailFrom(EmailAddress?, parameters: [String])
    case recipient(EmailAddress, parameters: [String])
    case data
    case reset
    case noop
    case quit

    /// The command line with its CRLF.
    var bytes: [UInt8] { Array((line + "\r\n").utf8) }

    private var line: String {
        switch self {
        case .hello(let extended, let name): return (extended ? "EHLO " : "HELO ") + name
        case .startTLS: return "STARTTLS"
        case .auth(let mechanism, let initial): return "AUTH \(mechanism)" + (initial.map { " " + $0 } ?? "")
        case .authResponse(let response): return response
        case .mailFrom(let sender, let parameters):
            return (["MAIL FROM:<\(sender?.address ?? "")>"] + parameters).joined(separator: " ")
        case .recipient(let recipient, let parameters):
            return (["RCPT TO:<\(recipient.address)>"] + parameters).joined(separator: " ")
        case .data: return "DATA"
        case .reset: return "RSET"
        case .noop: return "NOOP"
        case .quit: return "QUIT"
        }
    }

    /// The phase whose reply this command awaits.
    var phase: SMTPPhase {
        switch self {
        case .hello: return .hello
        case .startTLS: return .tls
        case .auth, .authResponse: return .authentication
        case .mailFrom: return .mailFrom
        case .recipient: return .recipient
        case .data: return .data
        case .reset: return .reset
        case .noop: return .noop
        case .quit: return .quit
        }
    }
}

extension OutgoingMessage {
    /// MAIL FROM parameters for a server with `capabilities`, after checking that it offers
    /// what the message needs and that nothing holds a control character.
    func mailParameters(for capabilities: SMTPCapabilities) throws(SMTPError) -> [String] {
        var parameters: [String] = []
        if let limit = capabilities.maximumSize {
            let size = content.count + content.count / 64
            guard size <= limit else {
                throw SMTPError(
                    .permanent, .messageTooLarge, phase: .mailFrom,
                    detail: "the message is about \(size) octets; the server accepts at most \(limit)")
            }
            parameters.append("SIZE=\(size)")
        }
        if is8Bit && capabilities.eightBitMIME { parameters.append("BODY=8BITMIME") }
        if requiresSMTPUTF8 {
            guard capabilities.smtpUTF8 else {
                throw SMTPError(
                    .permanent, .extensionUnavailable, phase: .mailFrom,
                    detail: "an envelope address is non-ASCII and the server does not offer SMTPUTF8")
            }
            parameters.append("SMTPUTF8")
        }
        if let notification = deliveryNotification, capabilities.deliveryStatusNotification {
            try notification.check()
            parameters.append("RET=\(notification.returnContent)")
            if let id = notification.envelopeID { parameters.append("ENVID=\(xtext(id))") }
        }
        return parameters
    }

    /// RCPT TO parameters for `recipient`.
    func recipientParameters(for recipient: EmailAddress, capabilities: SMTPCapabilities) -> [String] {
        guard let notification = deliveryNotification, capabilities.deliveryStatusNotification else { return [] }
        var parameters = ["NOTIFY=" + notification.notify.joined(separator: ",")]
        if !recipient.requiresSMTPUTF8 { parameters.append("ORCPT=rfc822;" + xtext(recipient.address)) }
        return parameters
    }

    /// RFC 3461 xtext: `+`, `=` and bytes outside 0x21...0x7E as `+HH`.
    private func xtext(_ text: String) -> String {
        text.utf8.map { byte in
            (0x21...0x7E).contains(byte) && byte != UInt8(ascii: "+") && byte != UInt8(ascii: "=")
                ? String(UnicodeScalar(byte)) : "+" + String(byte, radix: 16, uppercase: true)
        }.joined()
    }
}

extension DeliveryNotification {
    func check() throws(SMTPError) {
        let allowed: Set<String> = ["SUCCESS", "FAILURE", "DELAY", "NEVER"]
        guard !notify.isEmpty, notify.allSatisfy(allowed.contains), !notify.contains("NEVER") || notify.count == 1
        else {
            throw SMTPError.invalid("deliveryNotification.notify", "NOTIFY is NEVER alone or SUCCESS/FAILURE/DELAY")
        }
        guard ["FULL", "HDRS"].contains(returnContent) else {
            throw SMTPError.invalid("deliveryNotification.returnContent", "RET is FULL or HDRS")
        }
        if let id = envelopeID, id.utf8.contains(where: { !(0x20...0x7E).contains($0) }) || id.isEmpty {
            throw SMTPError.controlCharacter(in: "deliveryNotification.envelopeID")
        }
    }
}
