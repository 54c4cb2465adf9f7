import Foundation

/// The transfer encodings and line rules used to put message content on the wire.
enum ContentEncoding {
    /// The longest line SMTP allows, CRLF excluded (RFC 5321 section 4.5.3.1.6).
    static let maximumLineLength = 998

    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let dot = UInt8(ascii: ".")

    /// Turns every bare CR, bare LF and CRLF into CRLF, and ends the content with CRLF.
    static func normalizeLineEndings(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 32 + 2)
        var previousWasCR = false
        for byte in bytes {
            if byte == lf {
                if !previousWasCR { output.append(cr) }
                output.append(lf)
            } else {
                if previousWasCR { output.append(lf) }
                if byte != cr { output.append(byte) } else { output.append(cr) }
            }
            previousWasCR = byte == cr
        }
        if previousWasCR { output.append(lf) }
        if output.count < 2 || output[output.count - 2] != cr || output[output.count - 1] != lf {
            output.append(contentsOf: [cr, lf])
        }
        return output
    }

    /// The length of the longest line of CRLF-normalised content, CRLF excluded.
    static func longestLine(_ bytes: [UInt8]) -> Int {
        var longest = 0
        var start = 0
        for index in bytes.indices where bytes[index] == lf {
            longest = max(longest, index - 1 - start)
            start = index + 1
        }
        return max(longest, bytes.count - start)
    }

    /// CRLF-normalised content prepared for DATA: each line starting with a dot gets
    /// another dot (RFC 5321 section 4.5.2), then the `.` CRLF terminator.
    static func dotStuffed(_ normalized: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(normalized.count + 16)
        var atLineStart = true
        for byte in normalized {
            if atLineStart && byte == dot { output.append(dot) }
            output.append(byte)
            atLineStart = byte == lf
        }
        output.append(contentsOf: [dot, cr, lf])
        return output
    }

    /// Base64 in lines of 76 characters, each ended by CRLF.
    static func base64Lines(_ bytes: [UInt8]) -> [UInt8] {
        let encoded = Array(Data(bytes).base64EncodedString().utf8)
        var output: [UInt8] = []
        output.reserveCapacity(encoded.count + encoded.count / 38 + 2)
        var index = 0
        while index < encoded.count {
            let end = min(index + 76, encoded.count)
            output.append(contentsOf: encoded[index..<end])
            output.append(contentsOf: [cr, lf])
            index = end
        }
        return output
    }
}
