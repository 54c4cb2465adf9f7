/// Helpers shared by every fuzz target; compiled into each one by scripts/fuzz.sh.

/// The bytes libFuzzer hands to `LLVMFuzzerTestOneInput`, copied into an array.
func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else {
        return []
    }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Stops the run when `condition` is false, so libFuzzer keeps the input as a crash.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        fatalError("property violated: \(message())")
    }
}

/// `bytes` cut at every zero byte, at most `limit` pieces; the last piece keeps the rest.
func fields(_ bytes: [UInt8], limit: Int) -> [[UInt8]] {
    bytes.split(separator: 0, maxSplits: limit - 1, omittingEmptySubsequences: false).map(Array.init)
}

/// The lines of CRLF-terminated `bytes`, CRLF removed; `nil` when a CR or LF stands alone
/// or the last line has no CRLF.
func crlfLines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>]? {
    var lines: [ArraySlice<UInt8>] = []
    var start = 0
    var index = 0
    while index < bytes.count {
        switch bytes[index] {
        case 0x0D:
            guard index + 1 < bytes.count, bytes[index + 1] == 0x0A else {
                return nil
            }
            lines.append(bytes[start..<index])
            index += 2
            start = index
        case 0x0A:
            return nil
        default:
            index += 1
        }
    }
    return start == bytes.count ? lines : nil
}
