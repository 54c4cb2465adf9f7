import CTetherODBC

/// Texts that must never appear in an error: the password and the bound parameter values.
struct Secrets {
    private(set) var values: [String] = []

    /// Texts shorter than this are removed only where they stand quoted or in parentheses,
    /// so that a one-letter value does not blank out every such letter of a message.
    static let bareMinimumLength = 4

    init(_ values: [String] = []) {
        values.forEach { add($0) }
    }

    mutating func add(_ value: String) {
        if !value.isEmpty {
            values.append(value)
        }
    }

    /// `message` without the secrets, each as given and as a server may echo it: folded to
    /// lower case (PostgreSQL folds an unquoted identifier) or to upper case.
    func redact(_ message: String) -> String {
        var text = message
        let (lowered, raised) = (message.lowercased(), message.uppercased())
        for secret in values.sorted(by: { $0.count > $1.count }) {
            let forms = [secret, secret.lowercased(), secret.uppercased()]
            // One scan or three for a secret that is not there (most bound values), where
            // every replacement below is a scan of its own.
            guard message.contains(secret) || lowered.contains(forms[1]) || raised.contains(forms[2]) else {
                continue
            }
            for (index, form) in forms.enumerated() where !forms[..<index].contains(form) {
                for (open, close) in [("\"", "\""), ("'", "'"), ("(", ")")] {
                    text = text.replacing(open + form + close, with: open + "***" + close)
                }
                if secret.count >= Self.bareMinimumLength {
                    text = text.replacing(form, with: "***")
                }
            }
        }
        return text
    }

    /// `message`, which the driver may have cut, without a beginning of a secret at its end:
    /// a value cut in the middle matches no secret whole.
    func redactCutEnd(_ message: String) -> String {
        var longest = 0
        for secret in values where secret.count > Self.bareMinimumLength {
            for form in [secret, secret.lowercased(), secret.uppercased()] {
                for length in stride(from: form.count - 1, through: max(Self.bareMinimumLength, longest + 1), by: -1)
                where message.hasSuffix(form.prefix(length)) {
                    longest = length
                    break
                }
            }
        }
        return longest == 0 ? message : String(message.dropLast(longest)) + "***"
    }
}

enum Diagnostics {
    /// Every diagnostic record of `handle`, messages redacted.
    static func read(_ handleType: SQLSMALLINT, _ handle: SQLHANDLE, redacting secrets: Secrets) -> [ODBCDiagnostic] {
        var records: [ODBCDiagnostic] = []
        var number: SQLSMALLINT = 1
        while let record = readRecord(handleType, handle, number: number, secrets: secrets) {
            records.append(record)
            number += 1
        }
        return records
    }

    private static func readRecord(
        _ handleType: SQLSMALLINT, _ handle: SQLHANDLE, number: SQLSMALLINT, secrets: Secrets
    ) -> ODBCDiagnostic? {
        var state = [SQLWCHAR](repeating: 0, count: 6)
        var native: SQLINTEGER = 0
        var message = [SQLWCHAR](repeating: 0, count: 1024)
        var length: SQLSMALLINT = 0
        var status = SQLGetDiagRecW(
            handleType, handle, number, &state, &native, &message, SQLSMALLINT(message.count), &length)
        // A longer message is read again whole: cut, it could end in part of a secret, which
        // redaction would not recognise.
        if ctether_SQL_SUCCEEDED(status) != 0, Int(length) >= message.count, length < SQLSMALLINT.max {
            message = [SQLWCHAR](repeating: 0, count: Int(length) + 1)
            status = SQLGetDiagRecW(
                handleType, handle, number, &state, &native, &message, SQLSMALLINT(message.count), &length)
        }
        guard ctether_SQL_SUCCEEDED(status) != 0 else {
            return nil
        }
        let text = String(decoding: message.prefix(min(Int(length), message.count - 1)), as: UTF16.self)
        // Drivers cut long messages at about a thousand characters, whatever the buffer.
        let redacted = secrets.redact(text)
        return ODBCDiagnostic(
            sqlState: String(decoding: state.prefix(5), as: UTF16.self),
            nativeCode: Int(native),
            message: text.utf16.count >= 1000 ? secrets.redactCutEnd(redacted) : redacted)
    }
}

extension ODBCError {
    /// An error made from diagnostic records, classified by them.
    init(operation: String, diagnostics: [ODBCDiagnostic], kind: Kind? = nil) {
        let message = diagnostics.first?.message ?? "failed without a diagnostic record"
        self.init(
            kind: kind ?? .classify(diagnostics), operation: operation, message: message, diagnostics: diagnostics)
    }
}

/// Throws an ``ODBCError`` read from `handle` unless `status` is a success.
func check(
    _ status: SQLRETURN, _ operation: String, _ handleType: Int32, _ handle: SQLHANDLE, _ secrets: Secrets
) throws(ODBCError) {
    guard ctether_SQL_SUCCEEDED(status) == 0 else {
        return
    }
    if status == SQLRETURN(SQL_INVALID_HANDLE) {
        throw ODBCError(kind: .other, operation: operation, message: "invalid handle")
    }
    throw ODBCError(
        operation: operation, diagnostics: Diagnostics.read(SQLSMALLINT(handleType), handle, redacting: secrets))
}

extension String {
    /// The text as NUL-terminated UTF-16, the form the ODBC W functions take.
    var odbcWide: [SQLWCHAR] {
        Array(utf16) + [0]
    }
}
