/// Assembles SMTP replies from bytes that arrive split at any point.
///
/// Feed every chunk read from the connection with ``feed(_:)``, then take complete replies
/// with ``nextReply()`` until it returns `nil`. A multi-line reply is complete only at its
/// line with a space after the code (`250 ...`); the lines before use a hyphen (`250-...`).
public struct SMTPReplyParser: Sendable {
    /// The longest reply line accepted, CRLF included. RFC 5321 allows 512; servers exceed it.
    public static let maximumLineLength = 8192
    /// The most lines one reply may have.
    public static let maximumLines = 256

    private var buffer: [UInt8] = []
    private var consumed = 0
    /// Where the search for the next newline resumes, so a line fed byte by byte is scanned once.
    private var scanned = 0
    private var pendingLines: [String] = []
    private var pendingCode: Int?

    /// A parser with nothing buffered.
    public init() {}

    /// Whether bytes are buffered that do not yet form a complete reply, or that follow one.
    public var hasBufferedBytes: Bool { consumed < buffer.count || !pendingLines.isEmpty }

    /// Adds bytes read from the connection.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        if consumed > 0 {
            buffer.removeFirst(consumed)
            scanned = max(scanned - consumed, 0)
            consumed = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete reply, or `nil` when more bytes are needed.
    ///
    /// - Throws: ``SMTPError`` with ``SMTPError/Code/malformedReply`` when a line is not
    ///   `ddd<SP>text` or `ddd-text`, a continuation changes the code, or a limit is passed.
    public mutating func nextReply() throws(SMTPError) -> SMTPReply? {
        while let line = try takeLine() {
            let (code, isLast, text) = try Self.split(line)
            if let pendingCode, pendingCode != code {
                throw Self.malformed("a continuation line changed the reply code from \(pendingCode) to \(code)")
            }
            pendingCode = code
            pendingLines.append(text)
            if pendingLines.count > Self.maximumLines {
                throw Self.malformed("a reply has more than \(Self.maximumLines) lines")
            }
            if isLast {
                let reply = SMTPReply(code: code, lines: pendingLines)
                pendingLines = []
                pendingCode = nil
                return reply
            }
        }
        return nil
    }

    private mutating func takeLine() throws(SMTPError) -> ArraySlice<UInt8>? {
        // The limit holds however the bytes were split: a whole line that arrived in one read is
        // measured as strictly as one still waiting for its newline.
        guard let newline = buffer[max(consumed, scanned)...].firstIndex(of: UInt8(ascii: "\n")) else {
            scanned = buffer.count
            if buffer.count - consumed > Self.maximumLineLength { throw Self.lineTooLong() }
            return nil
        }
        if newline + 1 - consumed > Self.maximumLineLength { throw Self.lineTooLong() }
        var end = newline
        if end > consumed && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let line = buffer[consumed..<end]
        consumed = newline + 1
        return line
    }

    private static func split(_ line: ArraySlice<UInt8>) throws(SMTPError) -> (Int, Bool, String) {
        let digits = line.prefix(3)
        guard digits.count == 3, digits.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw malformed("a reply line does not start with a three-digit code")
        }
        let code = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        guard (200...599).contains(code) else { throw malformed("reply code \(code) is outside 200...599") }
        let rest = line.dropFirst(3)
        guard let separator = rest.first else { return (code, true, "") }
        guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else {
            throw malformed("a reply code is followed by neither a space nor a hyphen")
        }
        let text = String(decoding: rest.dropFirst(), as: UTF8.self)
        return (code, separator == UInt8(ascii: " "), text)
    }

    private static func lineTooLong() -> SMTPError {
        malformed("a reply line is longer than \(maximumLineLength) bytes")
    }

    private static func malformed(_ detail: String) -> SMTPError {
        SMTPError(.notAccepted, .malformedReply, phase: .validation, detail: detail)
    }
}
