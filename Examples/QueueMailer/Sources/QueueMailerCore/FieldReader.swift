import Foundation

/// Reads typed fields out of one JSON object, naming the full path of any bad field.
///
/// Every error says which field was wrong (`relay.port`), where its value came from when that
/// was not the document (an environment variable), what was expected and what was found.
/// Values of secret fields are never quoted.
public struct FieldReader: Sendable {
    /// The path of this object in the document, empty at the root.
    public let path: String
    /// The object's members.
    public let object: [String: JSONValue]
    private let kind: MailerError.Kind
    private let origins: [String: String]

    /// A reader over `object` at `path`; `origins` maps field paths to where their value came from.
    public init(
        _ object: [String: JSONValue], path: String = "", kind: MailerError.Kind, origins: [String: String] = [:]
    ) {
        self.object = object
        self.path = path
        self.kind = kind
        self.origins = origins
    }

    /// A reader over `value`, which must be an object.
    ///
    /// - Throws: ``MailerError`` when `value` is not an object.
    public init(_ value: JSONValue, path: String, kind: MailerError.Kind, origins: [String: String] = [:]) throws {
        guard case .object(let object) = value else {
            throw MailerError(kind, field: path.isEmpty ? nil : path, "expected an object, found \(value.typeName)")
        }
        self.init(object, path: path, kind: kind, origins: origins)
    }

    /// The full path of `key`.
    public func fieldPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// An error about `key`, naming its path and, if it came from the environment, the variable.
    public func error(_ key: String, _ reason: String) -> MailerError {
        let field = fieldPath(key)
        guard let origin = origins[field] else { return MailerError(kind, field: field, reason) }
        return MailerError(kind, field: "\(field) (from \(origin))", reason)
    }

    /// Refuses members not in `known`, so a misspelt key is an error rather than silently ignored.
    ///
    /// - Throws: ``MailerError`` naming the first unknown key and the keys that are allowed.
    public func rejectUnknownKeys(_ known: Set<String>) throws {
        guard object.keys.contains(where: { !known.contains($0) }) else { return }
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw error(unknown, "unknown field; expected one of: \(known.sorted().joined(separator: ", "))")
        }
    }

    /// The member `key`, or `nil` when it is absent or JSON `null`.
    public func value(_ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    /// A string member.
    public func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw error(key, "expected a string, found \(value.typeName)") }
        return text
    }

    /// A string member that must be present and not empty.
    public func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else { throw error(key, "is required") }
        guard !text.isEmpty else { throw error(key, "must not be empty") }
        return text
    }

    /// An integer member within `range`; a numeric string is accepted (environment overrides are text).
    public func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = value(key) else { return nil }
        let number: Double?
        switch value {
        case .number(let double): number = double
        case .string(let text): number = Double(text.trimmingCharacters(in: .whitespaces))
        default: number = nil
        }
        guard let number, number.rounded() == number, let integer = Int(exactly: number) else {
            throw error(key, "expected an integer, found \(value.shortForm)")
        }
        guard range.contains(integer) else {
            throw error(key, "must be in \(range.lowerBound)...\(range.upperBound), found \(integer)")
        }
        return integer
    }

    /// A number member within `range`; a numeric string is accepted.
    public func double(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let value = value(key) else { return nil }
        let number: Double?
        switch value {
        case .number(let double): number = double
        case .string(let text): number = Double(text.trimmingCharacters(in: .whitespaces))
        default: number = nil
        }
        guard let number, number.isFinite else { throw error(key, "expected a number, found \(value.shortForm)") }
        guard range.contains(number) else {
            throw error(key, "must be in \(range.lowerBound)...\(range.upperBound), found \(number)")
        }
        return number
    }

    /// A boolean member; the strings `true` and `false` are accepted.
    public func bool(_ key: String) throws -> Bool? {
        switch value(key) {
        case nil: return nil
        case .bool(let flag): return flag
        case .string("true"): return true
        case .string("false"): return false
        case let other?: throw error(key, "expected true or false, found \(other.shortForm)")
        }
    }

    /// A duration member: a string such as `250ms`, `5s`, `2m`, `1h`, or a number of seconds.
    ///
    /// - Throws: ``MailerError`` when the text is not a duration or is below `minimum`.
    public func duration(_ key: String, minimum: Duration = .zero) throws -> Duration? {
        guard let value = value(key) else { return nil }
        let seconds: Double? =
            switch value {
            case .number(let seconds): seconds.isFinite && seconds >= 0 ? seconds : nil
            case .string(let text): DurationText.seconds(parsing: text)
            default: nil
            }
        guard let seconds else {
            throw error(key, "expected a duration such as \"500ms\", \"5s\" or \"2m\", found \(value.shortForm)")
        }
        guard let parsed = DurationText.duration(seconds: seconds) else {
            throw error(key, "must be at most \(DurationText.format(DurationText.longest)), found \(value.shortForm)")
        }
        guard parsed >= minimum else {
            throw error(key, "must be at least \(DurationText.format(minimum)), found \(DurationText.format(parsed))")
        }
        return parsed
    }

    /// A nested object member, read with its own path.
    public func object(_ key: String) throws -> FieldReader? {
        guard let value = value(key) else { return nil }
        return try FieldReader(value, path: fieldPath(key), kind: kind, origins: origins)
    }

    /// An array member.
    public func array(_ key: String) throws -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else {
            throw error(key, "expected an array, found \(value.typeName)")
        }
        return elements
    }
}

extension JSONValue {
    /// A short quotation of the value for error messages, cut at 40 characters.
    var shortForm: String {
        switch self {
        case .string(let text) where text.count > 40: "\"\(text.prefix(40))...\""
        case .string(let text): "\"\(text)\""
        case .number(let value): value.rounded() == value && abs(value) < 1e15 ? "\(Int64(value))" : "\(value)"
        case .bool(let flag): "\(flag)"
        default: typeName
        }
    }
}
