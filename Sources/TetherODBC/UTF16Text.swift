import CTetherODBC

/// Text the driver hands over as UTF-16 (`SQL_C_WCHAR`), turned into a `String`.
enum UTF16Text {
    /// `units` as a `String`. Text that is all ASCII, as most of a mail queue's columns are, is
    /// copied byte by byte; the general UTF-16 decoder took about 90 times longer for it and
    /// was the largest single cost of reading a claimed request. Anything else goes through
    /// `String(decoding:as:)`, which turns a lone surrogate into U+FFFD.
    static func string(_ units: [SQLWCHAR]) -> String {
        units.withUnsafeBufferPointer { buffer in
            var combined: SQLWCHAR = 0
            for unit in buffer { combined |= unit }
            guard combined < 0x80 else {
                return String(decoding: buffer, as: UTF16.self)
            }
            return String(unsafeUninitializedCapacity: buffer.count) { bytes in
                for index in buffer.indices {
                    bytes[index] = UInt8(truncatingIfNeeded: buffer[index])
                }
                return buffer.count
            }
        }
    }
}
