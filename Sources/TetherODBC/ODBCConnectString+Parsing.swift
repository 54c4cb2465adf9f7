extension ODBCConnectString {
    /// Parses a connect string such as `Driver={PostgreSQL Unicode};Server=127.0.0.1;PWD={a;b}}c}`.
    ///
    /// Values may be plain (up to the next `;`) or in braces (up to a `}` that is not doubled).
    /// Spaces around keys and plain values are dropped; empty attributes (`;;`) are skipped.
    /// The text is read by Unicode scalar, as a driver manager reads it by byte: a combining
    /// mark after a delimiter does not hide the delimiter.
    ///
    /// - Throws: ``ODBCError`` of kind ``ODBCError/Kind/invalidArgument`` naming the position and key
    ///   of the first problem; the message never repeats a value.
    public init(parsing text: String) throws(ODBCError) {
        self.init()
        let all = Substring(text).unicodeScalars
        var rest = all[...]
        while true {
            rest = rest.drop { $0 == ";" || $0.properties.isWhitespace }
            guard !rest.isEmpty else {
                break
            }
            let position = all.distance(from: all.startIndex, to: rest.startIndex)
            guard let equals = rest.firstIndex(of: "=") else {
                throw .invalidArgument("ODBCConnectString", "no '=' in the attribute at scalar \(position)")
            }
            let key = String(rest[..<equals].trimmed)
            if key.isEmpty || key.unicodeScalars.contains(";") {
                throw .invalidArgument("ODBCConnectString", "an attribute without a key at scalar \(position)")
            }
            rest = rest[rest.index(after: equals)...]
            let value = try Self.readValue(&rest, key: key)
            self[key] = value
        }
        try validate()
    }

    /// Reads one value and the `;` after it from the front of `rest`.
    private static func readValue(
        _ rest: inout Substring.UnicodeScalarView, key: String
    ) throws(ODBCError) -> String {
        let unpadded = rest.drop { $0 == " " }
        guard unpadded.first == "{" else {
            let end = rest.firstIndex(of: ";") ?? rest.endIndex
            let value = String(rest[..<end].trimmed)
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
            return value
        }
        var value = String.UnicodeScalarView()
        var index = unpadded.index(after: unpadded.startIndex)
        while index < unpadded.endIndex {
            let scalar = unpadded[index]
            index = unpadded.index(after: index)
            guard scalar == "}" else {
                value.append(scalar)
                continue
            }
            guard index < unpadded.endIndex, unpadded[index] == "}" else {
                rest = unpadded[index...].drop { $0 == " " }
                guard rest.isEmpty || rest.first == ";" else {
                    throw .invalidArgument("ODBCConnectString", "text after the closing brace of '\(key)'")
                }
                rest = rest.dropFirst()
                return String(value)
            }
            value.append("}")
            index = unpadded.index(after: index)
        }
        throw .invalidArgument("ODBCConnectString", "the braced value of '\(key)' has no closing brace")
    }
}
