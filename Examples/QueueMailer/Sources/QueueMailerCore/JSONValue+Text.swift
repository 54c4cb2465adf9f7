extension JSONValue {
    /// The text ``compactText`` stands for, written byte by byte rather than through Foundation's
    /// encoder (a tenth of the result writer's time): keys sorted, no spaces, slashes unescaped,
    /// integral numbers below 9e15 as integers. `nil` for a number that is not finite, which
    /// the encoder handles.
    func compactTextWithoutEncoder() -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        guard Self.write(self, to: &bytes) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The plain column forms the queue itself writes: `[]`, `{}`, or a list of strings without
    /// escapes or control characters, such as `["ana@example.org"]`. `nil` for anything else,
    /// which ``parse(_:kind:what:)`` then reads (and rejects with its message, when invalid).
    static func plainList(_ text: String) -> JSONValue? {
        var bytes = text.utf8.makeIterator()
        guard let open = bytes.next() else { return nil }
        if open == UInt8(ascii: "{") {
            return bytes.next() == UInt8(ascii: "}") && bytes.next() == nil ? .object([:]) : nil
        }
        guard open == UInt8(ascii: "[") else { return nil }
        var elements: [JSONValue] = []
        var next = bytes.next()
        if next == UInt8(ascii: "]") { return bytes.next() == nil ? .array([]) : nil }
        while next == UInt8(ascii: "\"") {
            var string: [UInt8] = []
            while let byte = bytes.next(), byte != UInt8(ascii: "\"") {
                guard byte >= 0x20, byte != UInt8(ascii: "\\") else { return nil }
                string.append(byte)
            }
            elements.append(.string(String(decoding: string, as: UTF8.self)))
            switch bytes.next() {
            case UInt8(ascii: ","): next = bytes.next()
            case UInt8(ascii: "]"): return bytes.next() == nil ? .array(elements) : nil
            default: return nil
            }
        }
        return nil
    }

    private static func write(_ value: JSONValue, to bytes: inout [UInt8]) -> Bool {
        switch value {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let flag): bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number):
            guard number.isFinite else { return false }
            let integral = number.rounded() == number && abs(number) < 9e15
            bytes.append(contentsOf: (integral ? String(Int64(number)) : String(number)).utf8)
        case .string(let string): writeString(string, to: &bytes)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                guard write(element, to: &bytes) else { return false }
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                writeString(key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                guard let member = members[key], write(member, to: &bytes) else { return false }
            }
            bytes.append(UInt8(ascii: "}"))
        }
        return true
    }

    private static func writeString(_ string: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), byte])
            case 0x08: bytes.append(contentsOf: "\\b".utf8)
            case 0x09: bytes.append(contentsOf: "\\t".utf8)
            case 0x0A: bytes.append(contentsOf: "\\n".utf8)
            case 0x0C: bytes.append(contentsOf: "\\f".utf8)
            case 0x0D: bytes.append(contentsOf: "\\r".utf8)
            case ..<0x20: bytes.append(contentsOf: "\\u00\(byte < 0x10 ? "0" : "")\(String(byte, radix: 16))".utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
