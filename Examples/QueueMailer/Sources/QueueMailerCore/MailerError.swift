/// An error of the queue-mailer, naming what was wrong and where.
///
/// Match on ``kind`` (`error.kind == .configuration`). ``description`` names the field and the
/// reason and never carries a secret: values of secret fields are not quoted.
public struct MailerError: Error, Sendable, CustomStringConvertible {
    fileprivate enum Code: String, Sendable {
        case configuration
        case request
        case usage
        case input
        case database
        case schema
        case message
    }

    /// What kind of thing went wrong, for matching and as a short metric label.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        fileprivate let code: Code

        /// The configuration file or an environment override holds a bad value.
        public static let configuration = Kind(code: .configuration)
        /// A send request (a line given to `enqueue`, or a row in the queue) holds bad data.
        public static let request = Kind(code: .request)
        /// The command line holds a bad command, option or value.
        public static let usage = Kind(code: .usage)
        /// A file named on the command line does not exist or cannot be read.
        public static let input = Kind(code: .input)
        /// A statement failed, or the database holds something the mailer cannot read.
        public static let database = Kind(code: .database)
        /// The database schema is missing or newer than this binary.
        public static let schema = Kind(code: .schema)
        /// A message could not be built from a request.
        public static let message = Kind(code: .message)

        public var description: String { code.rawValue }
    }

    /// What kind of error this is.
    public let kind: Kind
    /// The field, option or column at fault, as a path (`relay.port`, `to[1].address`), if any.
    public let field: String?
    /// What was wrong, in words an operator can act on.
    public let reason: String

    /// An error of `kind` about `field`.
    public init(_ kind: Kind, field: String? = nil, _ reason: String) {
        self.kind = kind
        self.field = field
        self.reason = reason
    }

    /// The kind, field and reason; control characters quoted from bad input (a CR or LF in an
    /// address) are escaped (`\r`, `\n`, `\u{7}`), so one error is always one line.
    public var description: String {
        guard let field else { return "\(kind) error: \(Self.escaped(reason))" }
        return "\(kind) error: \(Self.escaped(field)): \(Self.escaped(reason))"
    }

    /// `text` with every control character written as an escape.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r": result += "\\r"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case _ where scalar.properties.generalCategory == .control:
                result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
