import Testing
import TetherODBC

/// One value of every parameter type, and the checks that they came back unchanged.
enum Sample {
    static let text = "Grüße, 世界 🚀 \"quoted\" ; {braced}"
    static let bytes: [UInt8] = [0, 1, 2, 255, 254, 0, 10, 13]
    static let date = ODBCDate(year: 2026, month: 2, day: 28)
    // Milliseconds: sqliteodbc keeps no finer fraction (PostgreSQL keeps microseconds).
    static let timestamp = ODBCTimestamp(date: date, hour: 23, minute: 59, second: 58, nanosecond: 123_000_000)

    static var values: [ODBCValue] {
        [
            .int(-9_007_199_254_740_993), .double(0.1), .decimal("12.50"), .text(text), .bytes(bytes), .date(date),
            .timestamp(timestamp), .null,
        ]
    }

    static func check(_ row: ODBCRow, decimal: String) throws {
        #expect(try row.decode(Int64.self, at: 0) == -9_007_199_254_740_993)
        #expect(try row.decode(Double.self, at: 1) == 0.1)
        #expect(try row.decode(String.self, at: 2) == decimal)
        #expect(try row.decode(String.self, at: 3) == text)
        #expect(try row.decode([UInt8].self, at: 4) == bytes)
        #expect(try row.decode(ODBCDate.self, at: 5) == date)
        #expect(try row.decode(ODBCTimestamp.self, at: 6) == timestamp, "\(row[6])")
        #expect(try row.decode(String?.self, at: 7) == nil)
        #expect(row.columns.names.map { $0.lowercased() } == ["i", "d", "n", "s", "b", "dt", "ts", "z"])
    }
}
