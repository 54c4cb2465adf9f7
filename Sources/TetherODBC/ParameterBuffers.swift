import CTetherODBC

/// The memory bound parameters point into; it must outlive `SQLExecute`, so the statement
/// keeps this object until the execution has returned.
final class ParameterBuffers {
    private var allocations: [UnsafeMutableRawPointer] = []
    private let indicators: UnsafeMutablePointer<SQLLEN>
    private let count: Int

    /// The values as texts that must not appear in error messages.
    private(set) var secrets = Secrets()

    init(count: Int) {
        self.count = count
        indicators = .allocate(capacity: max(count, 1))
    }

    deinit {
        allocations.forEach { $0.deallocate() }
        indicators.deallocate()
    }

    /// Binds `values` to the markers of `statement`, first value to the first `?`.
    func bind(_ values: [ODBCValue], to statement: SQLHSTMT, secrets base: Secrets) throws(ODBCError) {
        secrets = base
        for (offset, value) in values.enumerated() {
            try bind(value, number: offset + 1, to: statement)
        }
    }

    private func bind(_ value: ODBCValue, number: Int, to statement: SQLHSTMT) throws(ODBCError) {
        let form = try Self.form(of: value, number: number)
        let buffer = store(form.bytes)
        indicators[number - 1] = form.isNull ? SQLLEN(SQL_NULL_DATA) : SQLLEN(form.bytes.count)
        if let secret = form.secret {
            secrets.add(secret)
        }
        let status = SQLBindParameter(
            statement, SQLUSMALLINT(number), SQLSMALLINT(SQL_PARAM_INPUT), form.cType, form.sqlType,
            form.columnSize, form.decimalDigits, buffer, SQLLEN(form.bytes.count), indicators + (number - 1))
        try check(status, "SQLBindParameter", SQL_HANDLE_STMT, statement, secrets)
    }

    private func store(_ bytes: [UInt8]) -> UnsafeMutableRawPointer {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        allocations.append(buffer)
        return buffer
    }
}

/// How one value is handed to the driver.
private struct Form {
    var cType: SQLSMALLINT
    var sqlType: SQLSMALLINT
    var columnSize: SQLULEN = 0
    var decimalDigits: SQLSMALLINT = 0
    var bytes: [UInt8] = []
    var isNull = false
    var secret: String?
}

extension ParameterBuffers {
    fileprivate static func form(of value: ODBCValue, number: Int) throws(ODBCError) -> Form {
        switch value {
        case .null:
            return Form(cType: SQLSMALLINT(SQL_C_CHAR), sqlType: SQLSMALLINT(SQL_VARCHAR), columnSize: 1, isNull: true)
        case .int(let number):
            return Form(cType: SQLSMALLINT(SQL_C_SBIGINT), sqlType: SQLSMALLINT(SQL_BIGINT), bytes: raw(number))
        case .double(let number):
            return Form(cType: SQLSMALLINT(SQL_C_DOUBLE), sqlType: SQLSMALLINT(SQL_DOUBLE), bytes: raw(number))
        case .decimal(let text):
            return try decimalForm(text, number: number)
        case .text(let text):
            let units = Array(text.utf16)
            return Form(
                cType: SQLSMALLINT(SQL_C_WCHAR), sqlType: SQLSMALLINT(SQL_WVARCHAR),
                columnSize: SQLULEN(max(units.count, 1)), bytes: units.withUnsafeBytes { Array($0) }, secret: text)
        case .bytes(let bytes):
            return Form(
                cType: SQLSMALLINT(SQL_C_BINARY), sqlType: SQLSMALLINT(SQL_VARBINARY),
                columnSize: SQLULEN(max(bytes.count, 1)), bytes: bytes)
        case .date(let date):
            try checkRanges(of: ODBCTimestamp(date: date), number: number)
            return Form(
                cType: SQLSMALLINT(SQL_C_TYPE_DATE), sqlType: SQLSMALLINT(SQL_TYPE_DATE), columnSize: 10,
                bytes: raw(SQL_DATE_STRUCT(date)))
        case .timestamp(let timestamp):
            try checkRanges(of: timestamp, number: number)
            return Form(
                cType: SQLSMALLINT(SQL_C_TYPE_TIMESTAMP), sqlType: SQLSMALLINT(SQL_TYPE_TIMESTAMP), columnSize: 29,
                decimalDigits: 9, bytes: raw(SQL_TIMESTAMP_STRUCT(timestamp)))
        }
    }

    private static func decimalForm(_ text: String, number: Int) throws(ODBCError) -> Form {
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        let valid =
            (1...2).contains(parts.count) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }
        guard valid else {
            throw .invalidArgument("bind", "parameter \(number): decimal text is not a plain decimal number")
        }
        return Form(
            cType: SQLSMALLINT(SQL_C_CHAR), sqlType: SQLSMALLINT(SQL_NUMERIC),
            columnSize: SQLULEN(parts.reduce(0) { $0 + $1.count }),
            decimalDigits: SQLSMALLINT(parts.count == 2 ? parts[1].count : 0), bytes: Array(text.utf8), secret: text)
    }

    private static func checkRanges(of stamp: ODBCTimestamp, number: Int) throws(ODBCError) {
        let fields: [(String, Int, ClosedRange<Int>)] = [
            ("year", stamp.date.year, 1...9999), ("month", stamp.date.month, 1...12), ("day", stamp.date.day, 1...31),
            ("hour", stamp.hour, 0...23), ("minute", stamp.minute, 0...59), ("second", stamp.second, 0...60),
            ("nanosecond", stamp.nanosecond, 0...999_999_999),
        ]
        for (name, value, range) in fields where !range.contains(value) {
            throw .invalidArgument("bind", "parameter \(number): the \(name) is outside \(range)")
        }
    }

    private static func raw<T>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension SQL_DATE_STRUCT {
    init(_ date: ODBCDate) {
        self.init(
            year: SQLSMALLINT(truncatingIfNeeded: date.year), month: SQLUSMALLINT(truncatingIfNeeded: date.month),
            day: SQLUSMALLINT(truncatingIfNeeded: date.day))
    }
}

extension SQL_TIMESTAMP_STRUCT {
    init(_ stamp: ODBCTimestamp) {
        self.init(
            year: SQLSMALLINT(truncatingIfNeeded: stamp.date.year),
            month: SQLUSMALLINT(truncatingIfNeeded: stamp.date.month),
            day: SQLUSMALLINT(truncatingIfNeeded: stamp.date.day), hour: SQLUSMALLINT(truncatingIfNeeded: stamp.hour),
            minute: SQLUSMALLINT(truncatingIfNeeded: stamp.minute),
            second: SQLUSMALLINT(truncatingIfNeeded: stamp.second),
            fraction: SQLUINTEGER(truncatingIfNeeded: stamp.nanosecond))
    }
}
