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
    public func decode<T: ODBCDecodable>(_ type: T.Type = T.self, at index: Int) throws(ODBCError) -> T {
        guard values.indices.contains(index) else {
            throw .decoding("column \(index) is out of range; the row has \(values.count) columns")
        }
        guard let decoded = T(odbcValue: values[index]) else {
            let name = columns.names[index]
            throw .decoding("column \(index) '\(name)' holds \(values[index].typeName), not \(T.self)")
        }
        return decoded
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
