/// One row of a result, with the column names of its result set.
public struct ODBCRow: Sendable, Hashable {
    /// The column names, shared by every row of one result.
    public let columns: ODBCColumns
    /// The values, one per column.
    public let values: [ODBCValue]

    /// The value in column `index` (0-based).
    public subscript(index: Int) -> ODBCValue {
        values[index]
    }

    /// The value in the column called `name` (compared without regard to case), or `nil`.
    public subscript(name: String) -> ODBCValue? {
        columns.index(of: name).map { values[$0] }
    }

    /// Decodes column `index` as `type`.
    ///
    /// - Throws: ``ODBCError`` of kind ``ODBCError/Kind/decoding`` naming the column and both types
    ///   (never the value) when the column is out of range or holds something `type` cannot take.
    @inlinable
    public func decode<T: ODBCDecodable>(_ type: T.Type = T.self, at index: Int) throws(ODBCError) -> T {
        // Inlinable so that the caller's module specializes it: unspecialized, finding the
        // generic metadata took a tenth of the library's time per row of `SELECT 1`.
        if values.indices.contains(index), let decoded = T(odbcValue: values[index]) {
            return decoded
        }
        throw decodingFailure(T.self, at: index)
    }

    /// Why column `index` does not decode as `type`.
    @usableFromInline
    func decodingFailure(_ type: Any.Type, at index: Int) -> ODBCError {
        guard values.indices.contains(index) else {
            return .decoding("column \(index) is out of range; the row has \(values.count) columns")
        }
        let name = columns.names[index]
        return .decoding("column \(index) '\(name)' holds \(values[index].typeName), not \(type)")
    }

    /// Decodes the column called `name` as `type`.
    ///
    /// - Throws: ``ODBCError`` of kind ``ODBCError/Kind/decoding`` when there is no such column
    ///   or its value does not fit `type`.
    public func decode<T: ODBCDecodable>(_ type: T.Type = T.self, named name: String) throws(ODBCError) -> T {
        guard let index = columns.index(of: name) else {
            throw .decoding("no column '\(name)'; the columns are \(columns.names.joined(separator: ", "))")
        }
        return try decode(type, at: index)
    }
}

/// The column names of a result set.
public struct ODBCColumns: Sendable, Hashable {
    /// The names, in order, as the driver reports them.
    public let names: [String]

    /// The position of the column called `name`, compared without regard to case.
    public func index(of name: String) -> Int? {
        names.firstIndex(of: name) ?? names.firstIndex { $0.lowercased() == name.lowercased() }
    }
}
