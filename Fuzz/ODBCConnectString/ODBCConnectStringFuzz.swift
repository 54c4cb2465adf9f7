@testable import TetherODBC

/// No value can inject a key: a connect string built from any keys and values is read back,
/// by a byte-level reader as a driver manager reads it and by our own parser, as exactly the
/// attributes that were set.
///
/// Input: zero-separated key, value, key, value, ... (at most eight attributes).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzODBCConnectString(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let parts = fields(fuzzInput(data, size), limit: 16).map { String(decoding: $0, as: UTF8.self) }
    var connectString = ODBCConnectString()
    for pair in stride(from: 0, to: parts.count - 1, by: 2) {
        connectString[parts[pair]] = parts[pair + 1]
    }
    guard (try? connectString.validate()) != nil else {
        return 0
    }
    let expected = connectString.attributes.map { Pair(key: $0.key, value: $0.value) }
    let rendered = connectString.rendered
    let read = readAttributes(Array(rendered.utf8))
    require(
        read == expected, "\(rendered.debugDescription) reads as \(read?.map(\.key) ?? []), not \(expected.map(\.key))")
    let parsed = try? ODBCConnectString(parsing: rendered)
    let reparsed = parsed?.attributes.map { Pair(key: $0.key, value: $0.value) }
    require(reparsed == expected, "\(rendered.debugDescription) parses as \(reparsed.map { $0.map(\.key) } ?? [])")
    require(!connectString.description.contains("\u{0}"), "a NUL in the description")
    return 0
}

private struct Pair: Equatable {
    var key: String
    var value: String
}

/// Reads `key=value;...` byte by byte: a value in braces runs to a `}` that is not doubled,
/// any other value to the next `;`. `nil` values mark text that is not a connect string.
private func readAttributes(_ bytes: [UInt8]) -> [Pair]? {
    var pairs: [Pair] = []
    var index = 0
    while index < bytes.count {
        guard let equals = bytes[index...].firstIndex(of: UInt8(ascii: "=")) else {
            return nil
        }
        let key = String(decoding: bytes[index..<equals], as: UTF8.self)
        index = equals + 1
        var value: [UInt8] = []
        if index < bytes.count && bytes[index] == UInt8(ascii: "{") {
            index += 1
            while true {
                guard index < bytes.count else {
                    return nil
                }
                if bytes[index] == UInt8(ascii: "}") {
                    guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "}") else {
                        index += 1
                        break
                    }
                    index += 1
                }
                value.append(bytes[index])
                index += 1
            }
            guard index == bytes.count || bytes[index] == UInt8(ascii: ";") else {
                return nil
            }
        } else {
            let end = bytes[index...].firstIndex(of: UInt8(ascii: ";")) ?? bytes.count
            value = Array(bytes[index..<end])
            index = end
        }
        index += 1
        pairs.append(Pair(key: key, value: String(decoding: value, as: UTF8.self)))
    }
    return pairs
}
