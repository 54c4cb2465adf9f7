import CTetherODBC

/// Reads the rows of an executed statement with `SQLFetch` and `SQLGetData`.
///
/// Each column is read as the C type its SQL type maps to: integers (and bits) as `Int64`,
/// floating point as `Double`, `NUMERIC` and `DECIMAL` as exact text, dates and timestamps as
/// their structures, binary types as bytes, everything else as UTF-16 text. Long values are
/// read in pieces until the driver has no more.
struct ResultReader {
    let statement: SQLHSTMT
    let secrets: Secrets

    /// The column names and SQL types of a result, described once per prepared statement.
    struct Shape {
        let columns: ODBCColumns
        let types: [Int32]
    }

    /// Reads every row; `shape` is reused when the column count still matches, else described
    /// anew. With `fixed`, the count cannot change (``StatementHandle/namesItsColumns``): a
    /// shape described before is reused without asking.
    func readAll(shape: inout Shape?, fixed: Bool) throws(ODBCError) -> [ODBCRow] {
        guard let current = try currentShape(&shape, fixed: fixed) else {
            return []
        }
        var rows: [ODBCRow] = []
        while try fetch() {
            rows.append(try readRow(current))
        }
        return rows
    }

    /// Reads the first row, or `nil` when there is none; the rest stay unread for the caller
    /// to close the cursor on.
    func readFirst(shape: inout Shape?, fixed: Bool) throws(ODBCError) -> ODBCRow? {
        guard let current = try currentShape(&shape, fixed: fixed), try fetch() else {
            return nil
        }
        return try readRow(current)
    }

    /// The result's shape, described anew when its column count differs from `shape`'s;
    /// `nil` when the statement returned no result columns.
    private func currentShape(_ shape: inout Shape?, fixed: Bool) throws(ODBCError) -> Shape? {
        if fixed, let shape {
            return shape
        }
        var count: SQLSMALLINT = 0
        try check(SQLNumResultCols(statement, &count), "SQLNumResultCols", SQL_HANDLE_STMT, statement, secrets)
        guard count > 0 else {
            return nil
        }
        if shape?.types.count != Int(count) {
            let described = try (1...Int(count)).map { (number) throws(ODBCError) in try describe(number) }
            shape = Shape(columns: ODBCColumns(names: described.map(\.name)), types: described.map(\.type))
        }
        return shape
    }

    private func readRow(_ shape: Shape) throws(ODBCError) -> ODBCRow {
        var values: [ODBCValue] = []
        values.reserveCapacity(shape.types.count)
        for (offset, type) in shape.types.enumerated() {
            values.append(try read(number: offset + 1, type: type))
        }
        return ODBCRow(columns: shape.columns, values: values)
    }

    private func describe(_ number: Int) throws(ODBCError) -> (name: String, type: Int32) {
        var name = [SQLWCHAR](repeating: 0, count: 256)
        var nameLength: SQLSMALLINT = 0
        var type: SQLSMALLINT = 0
        var size: SQLULEN = 0
        var digits: SQLSMALLINT = 0
        var nullable: SQLSMALLINT = 0
        let status = SQLDescribeColW(
            statement, SQLUSMALLINT(number), &name, SQLSMALLINT(name.count), &nameLength, &type, &size, &digits,
            &nullable)
        try check(status, "SQLDescribeColW", SQL_HANDLE_STMT, statement, secrets)
        let length = min(Int(nameLength), name.count - 1)
        return (String(decoding: name.prefix(length), as: UTF16.self), Int32(type))
    }

    private func fetch() throws(ODBCError) -> Bool {
        let status = SQLFetch(statement)
        if status == SQLRETURN(SQL_NO_DATA) {
            return false
        }
        try check(status, "SQLFetch", SQL_HANDLE_STMT, statement, secrets)
        return true
    }

    private func read(number: Int, type: Int32) throws(ODBCError) -> ODBCValue {
        switch type {
        case SQL_TINYINT, SQL_SMALLINT, SQL_INTEGER, SQL_BIGINT, SQL_BIT:
            return try readFixed(number, SQL_C_SBIGINT, Int64(0)).map(ODBCValue.int) ?? .null
        case SQL_REAL, SQL_FLOAT, SQL_DOUBLE:
            return try readFixed(number, SQL_C_DOUBLE, Double(0)).map(ODBCValue.double) ?? .null
        case SQL_TYPE_DATE, SQL_DATE:
            return try readFixed(number, SQL_C_TYPE_DATE, SQL_DATE_STRUCT()).map { .date(ODBCDate($0)) } ?? .null
        case SQL_TYPE_TIMESTAMP, SQL_TIMESTAMP:
            let stamp = try readFixed(number, SQL_C_TYPE_TIMESTAMP, SQL_TIMESTAMP_STRUCT())
            return stamp.map { .timestamp(ODBCTimestamp($0)) } ?? .null
        case SQL_BINARY, SQL_VARBINARY, SQL_LONGVARBINARY:
            return try readPieces(number, SQL_C_BINARY, unit: UInt8.self).map(ODBCValue.bytes) ?? .null
        case SQL_NUMERIC, SQL_DECIMAL:
            let units = try readPieces(number, SQL_C_WCHAR, unit: SQLWCHAR.self)
            return units.map { .decimal(UTF16Text.string($0)) } ?? .null
        default:
            let units = try readPieces(number, SQL_C_WCHAR, unit: SQLWCHAR.self)
            return units.map { .text(UTF16Text.string($0)) } ?? .null
        }
    }

    /// A fixed-size value, or `nil` for `NULL`.
    private func readFixed<T>(_ number: Int, _ cType: Int32, _ initial: T) throws(ODBCError) -> T? {
        var value = initial
        var indicator: SQLLEN = 0
        let status = withUnsafeMutableBytes(of: &value) { buffer in
            SQLGetData(
                statement, SQLUSMALLINT(number), SQLSMALLINT(cType), buffer.baseAddress, SQLLEN(buffer.count),
                &indicator)
        }
        try check(status, "SQLGetData", SQL_HANDLE_STMT, statement, secrets)
        return indicator == SQLLEN(SQL_NULL_DATA) ? nil : value
    }

    /// A variable-length value read piece by piece, or `nil` for `NULL`. Text pieces end in a
    /// NUL the driver adds, which is not part of the value.
    private func readPieces<Unit: FixedWidthInteger>(
        _ number: Int, _ cType: Int32, unit: Unit.Type
    ) throws(ODBCError) -> [Unit]? {
        let terminator = cType == SQL_C_BINARY ? 0 : 1
        var result: [Unit] = []
        var piece = [Unit](repeating: 0, count: 2048)
        while true {
            var indicator: SQLLEN = 0
            let status = piece.withUnsafeMutableBytes { buffer in
                SQLGetData(
                    statement, SQLUSMALLINT(number), SQLSMALLINT(cType), buffer.baseAddress, SQLLEN(buffer.count),
                    &indicator)
            }
            if status == SQLRETURN(SQL_NO_DATA) {
                return result
            }
            try check(status, "SQLGetData", SQL_HANDLE_STMT, statement, secrets)
            if indicator == SQLLEN(SQL_NULL_DATA) {
                return nil
            }
            let capacity = piece.count - terminator
            let totalKnown = indicator != SQLLEN(SQL_NO_TOTAL)
            let available = totalKnown ? Int(indicator) / MemoryLayout<Unit>.size : capacity
            let taken = min(available, capacity)
            result.append(contentsOf: piece.prefix(taken))
            if status == SQLRETURN(SQL_SUCCESS) {
                return result
            }
            // Drivers may convert the whole value again on every call (sqliteodbc does, to
            // UTF-16), so fixed pieces cost time quadratic in the value's size: fetch the rest
            // in one call when its size is known, else in pieces that double.
            let next = totalKnown ? available - taken + terminator : piece.count * 2
            piece = [Unit](repeating: 0, count: max(next, piece.count))
        }
    }
}

extension ODBCDate {
    init(_ date: SQL_DATE_STRUCT) {
        self.init(year: Int(date.year), month: Int(date.month), day: Int(date.day))
    }
}

extension ODBCTimestamp {
    init(_ stamp: SQL_TIMESTAMP_STRUCT) {
        self.init(
            date: ODBCDate(year: Int(stamp.year), month: Int(stamp.month), day: Int(stamp.day)), hour: Int(stamp.hour),
            minute: Int(stamp.minute), second: Int(stamp.second), nanosecond: Int(stamp.fraction))
    }
}
