extension ODBCConnectString {
    /// Parses a connect string such as `Driver={PostgreSQL Unicode};Server=127.0.0.1;PWD={a;b}}c}`.
    ///
    /// Values may be plain (up to the next `;`) or in braces (up to a `}` that is not doubled).
    /// Spaces around keys and plain values are dropped; empty attributes (`;;`) are skipped.
    ///
    /// - Throws: ``ODBCError`` of kind ``ODBCError/Kind/invalidArgument`` naming the position and key
    ///   of the first problem; the message never repeats a value.
    public init(parsing text: String) throws(ODBCError) {
        self.init()
        var rest = Substring(text)
        while true {
            rest = rest.drop { $0 == ";" || $0.isWhitespace }
            guard !rest.isEmpty else {
                break
            }
            let position = text.distance(from: text.startIndex, to: rest.startIndex)
            guard let equals = rest.firstIndex(of: "=") else {
                throw .invalidArgument("ODBCConnectString", "no '=' in the attribute at character \(position)")
            }
            let key = String(rest[..<equals]).trimmed
            if key.isEmpty || key.contains(";") {
                throw .invalidArgument("ODBCConnectString", "an attribute without a key at character \(position)")
            }
            rest = rest[rest.index(after: equals)...]
            let value = try Self.readValue(&rest, key: key)
            self[key] = value
        }
        try validate()
    }

    /// Reads one value and the `;` after it from the front of `rest`.
    private static func readValue(_ rest: inout Substring, key: String) throws(ODBCError) -> String {
        let unpadded = rest.drop { $0 == " " }
        guard unpadded.first == "{" else {
            let end = rest.firstIndex(of: ";") ?? rest.endIndex
            let value = String(rest[..<end]).trimmed
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
            return value
        }
        var value = ""
        var index = unpadded.index(after: unpadded.startIndex)
        while index < unpadded.endIndex {
            let character = unpadded[index]
            index = unpadded.index(after: index)
            guard character == "}" else {
                value.append(character)
                continue
            }
            guard index < unpadded.endIndex, unpadded[index] == "}" else {
                rest = unpadded[index...].drop { $0 == " " }
                guard rest.isEmpty || rest.first == ";" else {
                    throw .invalidArgument("ODBCConnectString", "text after the closing brace of '\(key)'")
                }
                rest = rest.dropFirst()
                return value
            }
            value.append("}")
            index = unpadded.index(after: index)
        }
        throw .invalidArgument("ODBCConnectString", "the braced value of '\(key)' has no closing brace")
    }
}
