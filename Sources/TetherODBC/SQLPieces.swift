/// SQL text cut into its `;`-separated statements, each reduced to its words in upper case.
///
/// Comments (`--` to the end of the line, `/* */` nested as PostgreSQL nests them), string
/// literals (`'...'`, `E'...'` with backslash escapes, `$tag$...$tag$`), quoted identifiers
/// (`"..."`, `` `...` ``, `[...]`), numbers and punctuation leave no words; a `;` inside any of
/// them separates nothing. Only the words matter to the callers, so the text of literals is
/// never kept.
struct SQLPieces {
    /// The words of each statement, in order; a statement without words is left out.
    private(set) var statements: [[String]] = []
    /// `false` when a comment, literal or quoted identifier runs to the end of the text
    /// unclosed, so the words after its start could not be told apart from its content.
    private(set) var isComplete = true
    /// Whether a `*` stands outside comments, literals and quoted identifiers: `SELECT *`,
    /// `t.*`, or a product.
    private(set) var hasAsterisk = false

    private let bytes: [UInt8]
    private var index = 0
    private var words: [String] = []

    init(_ sql: String) {
        bytes = Array(sql.utf8)
        while index < bytes.count && isComplete {
            scanToken()
        }
        endStatement()
    }

    private mutating func scanToken() {
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: ";"):
            endStatement()
            index += 1
        case UInt8(ascii: "-") where peek(1) == UInt8(ascii: "-"):
            skip(past: [UInt8(ascii: "\n")], allowingEnd: true)
        case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "*"):
            skipBlockComment()
        case UInt8(ascii: "'"):
            index += 1
            skipQuoted(UInt8(ascii: "'"), backslashEscapes: false)
        case UInt8(ascii: "\""), UInt8(ascii: "`"):
            index += 1
            skipQuoted(byte, backslashEscapes: false)
        case UInt8(ascii: "["):
            index += 1
            skip(past: [UInt8(ascii: "]")], allowingEnd: false)
        case UInt8(ascii: "$"):
            scanDollar()
        case _ where Self.startsWord(byte):
            scanWord()
        case _ where Self.continuesWord(byte):
            // A number (digits, `1e5`, `0x1F`): part of no word.
            while index < bytes.count && Self.continuesWord(bytes[index]) {
                index += 1
            }
        default:
            hasAsterisk = hasAsterisk || byte == UInt8(ascii: "*")
            index += 1
        }
    }

    /// Whether the text is one query that names each of its result columns: a `SELECT`,
    /// `WITH` or `VALUES` without a `*` (a product counts too, to be safe). A statement
    /// prepared from it returns as many columns on every run, whatever DDL runs meanwhile;
    /// `SELECT *` may return more after another connection added a column.
    var namesItsColumns: Bool {
        isComplete && !hasAsterisk && statements.count == 1
            && ["SELECT", "WITH", "VALUES"].contains(statements[0][0])
    }

    private mutating func endStatement() {
        if !words.isEmpty {
            statements.append(words)
            words = []
        }
    }

    /// A word, or the prefix of a string literal (`E'`, `N'`, `X'`, `U&'`), which is no word.
    private mutating func scanWord() {
        let start = index
        while index < bytes.count && Self.continuesWord(bytes[index]) {
            index += 1
        }
        let word = String(decoding: bytes[start..<index].map(Self.upper), as: UTF8.self)
        if peek(0) == UInt8(ascii: "'") {
            index += 1
            skipQuoted(UInt8(ascii: "'"), backslashEscapes: word == "E")
        } else if word == "U", peek(0) == UInt8(ascii: "&"), peek(1) == UInt8(ascii: "'") {
            index += 2
            skipQuoted(UInt8(ascii: "'"), backslashEscapes: false)
        } else {
            words.append(word)
        }
    }

    /// A `$tag$` or `$$` quote up to its closing tag; `$1` (a parameter) is skipped alone.
    private mutating func scanDollar() {
        var end = index + 1
        while end < bytes.count && bytes[end] != UInt8(ascii: "$") && Self.continuesWord(bytes[end]) {
            end += 1
        }
        let isTag = end < bytes.count && bytes[end] == UInt8(ascii: "$") && !Self.isDigit(peek(1) ?? 0)
        guard isTag else {
            index += 1
            return
        }
        let tag = Array(bytes[index...end])
        index = end + 1
        skip(past: tag, allowingEnd: false)
    }

    /// Moves past the next `closing`; without one, to the end (an unclosed quote unless
    /// `allowingEnd`).
    private mutating func skip(past closing: [UInt8], allowingEnd: Bool) {
        while index < bytes.count {
            if bytes[index] == closing[0] && bytes[index...].starts(with: closing) {
                index += closing.count
                return
            }
            index += 1
        }
        isComplete = isComplete && allowingEnd
    }

    /// Moves past the closing `quote`; a doubled quote, or with `backslashEscapes` a
    /// backslash, escapes the byte after it.
    private mutating func skipQuoted(_ quote: UInt8, backslashEscapes: Bool) {
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if backslashEscapes && byte == UInt8(ascii: "\\") {
                index += 1
            } else if byte == quote {
                guard peek(0) == quote else {
                    return
                }
                index += 1
            }
        }
        isComplete = false
    }

    private mutating func skipBlockComment() {
        var depth = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "*") {
                depth += 1
                index += 2
            } else if bytes[index] == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/") {
                depth -= 1
                index += 2
                if depth == 0 {
                    return
                }
            } else {
                index += 1
            }
        }
        isComplete = false
    }

    private func peek(_ offset: Int) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    /// Letters, `_`, and every byte of a non-ASCII character, as SQL identifiers allow.
    private static func startsWord(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") || byte == UInt8(ascii: "_")
            || byte >= 0x80
    }

    private static func continuesWord(_ byte: UInt8) -> Bool {
        startsWord(byte) || isDigit(byte) || byte == UInt8(ascii: "$")
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func upper(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 0x20 : byte
    }
}
