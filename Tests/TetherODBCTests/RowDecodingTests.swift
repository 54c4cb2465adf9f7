import Testing

@testable import TetherODBC

/// `ODBCRow.decode(_:at:)` is inlined into the caller's module: its errors, built out of line,
/// must still name the column and both types, and never carry the value.
@Suite("ODBCRow decoding errors")
struct RowDecodingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let value: ODBCValue
        /// The value as text, which the error must not hold; `nil` for NULL.
        let secret: String?
        let decode: @Sendable (ODBCRow) throws -> Void
        let names: [String]

        var testDescription: String { "\(value.typeName) as \(names.last ?? "")" }
    }

    static let cases: [Case] = [
        Case(
            value: .text("s3cr3t-token"), secret: "s3cr3t-token", decode: { _ = try $0.decode(Int.self, at: 0) },
            names: ["column 0 'token'", "text", "Int"]),
        Case(
            value: .int(424_242), secret: "424242", decode: { _ = try $0.decode(ODBCDate.self, at: 0) },
            names: ["column 0 'token'", "integer", "ODBCDate"]),
        Case(
            value: .null, secret: nil, decode: { _ = try $0.decode(String.self, at: 0) },
            names: ["column 0 'token'", "NULL", "String"]),
        Case(
            value: .double(31.4159), secret: "31.4159", decode: { _ = try $0.decode(Bool.self, named: "TOKEN") },
            names: ["column 0 'token'", "double", "Bool"]),
    ]

    @Test("a value that does not fit names the column and both types, never the value", arguments: cases)
    func mismatchNamesTypesNotValue(_ test: Case) {
        let row = ODBCRow(columns: ODBCColumns(names: ["token"]), values: [test.value])
        let error = #expect(throws: ODBCError.self) { try test.decode(row) }
        let text = String(describing: error)
        #expect(error?.kind == .decoding)
        for name in test.names {
            #expect(text.contains(name), "\(text) names \(name)")
        }
        if let secret = test.secret {
            #expect(!text.contains(secret))
        }
    }

    @Test("a column out of range names the index and the row's width")
    func outOfRange() {
        let row = ODBCRow(columns: ODBCColumns(names: ["token"]), values: [.text("s3cr3t-token")])
        let error = #expect(throws: ODBCError.self) { try row.decode(String.self, at: 3) }
        let text = String(describing: error)
        #expect(text.contains("column 3 is out of range; the row has 1 columns"))
        #expect(!text.contains("s3cr3t"))
    }
}
