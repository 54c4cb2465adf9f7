/// Quoted-printable encoding (RFC 2045 section 6.7) of text that is already split in lines.
enum QuotedPrintable {
    private static let hex = Array("0123456789ABCDEF".utf8)

    /// Encodes CRLF-normalised text; line breaks stay hard breaks, long lines get soft breaks
    /// so that no encoded line exceeds 76 characters.
    static func encode(_ normalized: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(normalized.count + normalized.count / 8)
        var lineStart = 0
        for index in normalized.indices where normalized[index] == ContentEncoding.lf {
            encodeLine(normalized[lineStart..<(index - 1)], into: &output)
            lineStart = index + 1
        }
        if lineStart < normalized.count { encodeLine(normalized[lineStart...], into: &output) }
        return output
    }

    private static func encodeLine(_ line: ArraySlice<UInt8>, into output: inout [UInt8]) {
        var column = 0
        for index in line.indices {
            let byte = line[index]
            let isLast = index == line.index(before: line.endIndex)
            let literal =
                (0x21...0x7E).contains(byte) && byte != UInt8(ascii: "=")
                || (byte == 0x20 || byte == 0x09) && !isLast
            let width = literal ? 1 : 3
            if column + width > (isLast ? 76 : 75) {
                output.append(contentsOf: Array("=\r\n".utf8))
                column = 0
            }
            if literal {
                output.append(byte)
            } else {
                output.append(contentsOf: [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            }
            column += width
        }
        output.append(contentsOf: [ContentEncoding.cr, ContentEncoding.lf])
    }
}
