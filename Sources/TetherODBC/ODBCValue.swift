/// A parameter value or a column value.
///
/// Parameters bind as the matching ODBC C type: integers as `SQL_C_SBIGINT`, doubles as
/// `SQL_C_DOUBLE`, text as UTF-16 (`SQL_C_WCHAR`), decimals as their exact text so no digit is
/// lost to binary floating point, bytes as `SQL_C_BINARY`, dates and timestamps as the ODBC
/// date and timestamp structures.
public enum ODBCValue: Sendable, Hashable {
    /// SQL `NULL`.
    case null
    /// A 64-bit integer; also what booleans and smaller integer columns read as.
    case int(Int64)
    /// A binary floating-point number.
    case double(Double)
    /// An exact decimal number as text, such as `"12.50"`; `NUMERIC` and `DECIMAL` columns read as this.
    case decimal(String)
    /// Text; sent and read as UTF-16, so every Unicode character survives.
    case text(String)
    /// Raw bytes (`bytea`, `BLOB`, `VARBINARY`).
    case bytes([UInt8])
    /// A calendar date without time or zone.
    case date(ODBCDate)
    /// A date and time without zone, to nanoseconds.
    case timestamp(ODBCTimestamp)

    /// A boolean, sent as the integer 1 or 0.
    public static func bool(_ value: Bool) -> ODBCValue { .int(value ? 1 : 0) }

    /// `.null` for `nil`, otherwise the value.
    public static func optional(_ value: ODBCValue?) -> ODBCValue { value ?? .null }

    /// Whether this is SQL `NULL`.
    public var isNull: Bool { self == .null }

    /// The case name, for messages that must not show the value itself.
    var typeName: String {
        switch self {
        case .null: "NULL"
        case .int: "integer"
        case .double: "double"
        case .decimal: "decimal"
        case .text: "text"
        case .bytes: "bytes"
        case .date: "date"
        case .timestamp: "timestamp"
        }
    }
}

/// A calendar date without time or zone.
public struct ODBCDate: Sendable, Hashable, CustomStringConvertible {
    /// The year, such as 2026.
    public var year: Int
    /// The month, 1...12.
    public var month: Int
    /// The day of the month, 1...31.
    public var day: Int

    /// Makes a date; no calendar check is made here, the database checks it.
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date as `YYYY-MM-DD`.
    public var description: String {
        "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}

/// A date and time without zone, to nanoseconds.
public struct ODBCTimestamp: Sendable, Hashable, CustomStringConvertible {
    /// The date part.
    public var date: ODBCDate
    /// The hour, 0...23.
    public var hour: Int
    /// The minute, 0...59.
    public var minute: Int
    /// The second, 0...59 (60 for a leap second where the database allows it).
    public var second: Int
    /// The fraction of the second in nanoseconds, 0...999_999_999.
    public var nanosecond: Int

    /// Makes a timestamp; the database checks that it exists.
    public init(date: ODBCDate, hour: Int = 0, minute: Int = 0, second: Int = 0, nanosecond: Int = 0) {
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
        self.nanosecond = nanosecond
    }

    /// The timestamp as `YYYY-MM-DD HH:MM:SS.nnnnnnnnn`.
    public var description: String {
        "\(date) \(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(nanosecond, 9))"
    }
}

private func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}
