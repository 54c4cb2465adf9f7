/// A Swift type a column value can be decoded as, with ``ODBCRow/decode(_:at:)``.
///
/// Decoding converts where nothing is lost: an integer column decodes as `Double` only when the
/// double holds it exactly, a decimal as `Int64` only when it has no fraction, text as a number
/// when it parses as one (psqlODBC and SQLite may report numeric results as text). `NULL`
/// decodes only as an `Optional`.
public protocol ODBCDecodable {
    /// The Swift value for `value`, or `nil` when it does not fit.
    init?(odbcValue value: ODBCValue)
}

extension Int64: ODBCDecodable {
    public init?(odbcValue value: ODBCValue) {
        switch value {
        case .int(let number): self = number
        case .double(let number): self.init(exactly: number)
        case .decimal(let text), .text(let text): self.init(Self.integerPart(text))
        default: return nil
        }
    }

    /// `text` without a fraction made only of zeros, so `"12.00"` reads as 12 and `"12.5"` does not.
    private static func integerPart(_ text: String) -> String {
        let trimmed = text.trimmed
        guard let dot = trimmed.firstIndex(of: "."), trimmed[trimmed.index(after: dot)...].allSatisfy({ $0 == "0" })
        else {
            return trimmed
        }
        return String(trimmed[..<dot])
    }
}

extension Int: ODBCDecodable {
    public init?(odbcValue value: ODBCValue) {
        guard let wide = Int64(odbcValue: value) else {
            return nil
        }
        self.init(exactly: wide)
    }
}

extension Int32: ODBCDecodable {
    public init?(odbcValue value: ODBCValue) {
        guard let wide = Int64(odbcValue: value) else {
            return nil
        }
        self.init(exactly: wide)
    }
}

extension Double: ODBCDecodable {
    public init?(odbcValue value: ODBCValue) {
        switch value {
        case .double(let number): self = number
        case .int(let number): self.init(exactly: number)
        case .decimal(let text), .text(let text): self.init(text.trimmed)
        default: return nil
        }
    }
}

extension Bool: ODBCDecodable {
    /// Integers 0 and 1, and the texts `0`, `1`, `t`, `f`, `true`, `false` (psqlODBC reports
    /// booleans as text by default).
    public init?(odbcValue value: ODBCValue) {
        switch value {
        case .int(0): self = false
        case .int(1): self = true
        case .text(let text):
            switch text.lowercased() {
            case "1", "t", "true": self = true
            case "0", "f", "false": self = false
            default: return nil
            }
        default: return nil
        }
    }
}

extension String: ODBCDecodable {
    /// Text, and decimals as their exact text.
    public init?(odbcValue value: ODBCValue) {
        switch value {
        case .text(let text), .decimal(let text): self = text
        default: return nil
        }
    }
}

extension [UInt8]: ODBCDecodable {
    public init?(odbcValue value: ODBCValue) {
        guard case .bytes(let bytes) = value else {
            return nil
        }
        self = bytes
    }
}

extension ODBCDate: ODBCDecodable {
    public init?(odbcValue value: ODBCValue) {
        guard case .date(let date) = value else {
            return nil
        }
        self = date
    }
}

extension ODBCTimestamp: ODBCDecodable {
    public init?(odbcValue value: ODBCValue) {
        guard case .timestamp(let timestamp) = value else {
            return nil
        }
        self = timestamp
    }
}

extension ODBCValue: ODBCDecodable {
    public init?(odbcValue value: ODBCValue) {
        self = value
    }
}

extension Optional: ODBCDecodable where Wrapped: ODBCDecodable {
    /// `nil` for `NULL`; otherwise the wrapped type must accept the value.
    public init?(odbcValue value: ODBCValue) {
        if value.isNull {
            self = .none
            return
        }
        guard let wrapped = Wrapped(odbcValue: value) else {
            return nil
        }
        self = .some(wrapped)
    }
}
