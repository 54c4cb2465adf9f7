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

    /// `message` without the secrets, matched without regard to case: a server may echo a value
    /// folded to lower case, as PostgreSQL does with an identifier.
    func redact(_ message: String) -> String {
        var text = message
        for secret in values.sorted(by: { $0.count > $1.count }) {
            for (open, close) in [("\"", "\""), ("'", "'"), ("(", ")")] {
                text = text.replacingIgnoringCase(open + secret + close, with: open + "***" + close)
            }
            if secret.count >= Self.bareMinimumLength {
                text = text.replacingIgnoringCase(secret, with: "***")
            }
        }
        return text
    }
}

extension String {
    /// Every occurrence of `target`, compared character by character in lower case, replaced.
    fileprivate func replacingIgnoringCase(_ target: String, with replacement: String) -> String {
        let pattern = target.map { $0.lowercased() }
        let characters = Array(self)
        let lowered = characters.map { $0.lowercased() }
        guard !pattern.isEmpty, pattern.count <= characters.count else {
            return self
        }
        var result = ""
        var index = 0
        while index < characters.count {
            let end = index + pattern.count
            if end <= characters.count, lowered[index..<end].elementsEqual(pattern) {
                result += replacement
                index = end
            } else {
                result.append(characters[index])
                index += 1
            }
        }
        return result
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
        let status = SQLGetDiagRecW(
            handleType, handle, number, &state, &native, &message, SQLSMALLINT(message.count), &length)
        guard ctether_SQL_SUCCEEDED(status) != 0 else {
            return nil
        }
        let text = String(decoding: message.prefix(min(Int(length), message.count - 1)), as: UTF16.self)
        return ODBCDiagnostic(
            sqlState: String(decoding: state.prefix(5), as: UTF16.self),
            nativeCode: Int(native),
            message: secrets.redact(text))
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
