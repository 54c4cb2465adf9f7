import Foundation

/// A password or other credential: printing, logging or dumping it shows `<redacted>`.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The secret text. Pass it only to the component that needs it; never interpolate it.
    public let value: String

    /// Wraps `value`.
    public init(_ value: String) {
        self.value = value
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: []) }

    /// Reads a secret from `path`, dropping one trailing newline (as `echo` and editors leave it).
    ///
    /// - Throws: ``MailerError`` naming `field` when the file cannot be read or is empty; the
    ///   error names the file, never its content.
    public static func read(file path: String, field: String) throws -> Secret {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MailerError(.configuration, field: field, "cannot read the file \(path)")
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasSuffix("\r\n") {
            text.removeLast()
        } else if text.hasSuffix("\n") {
            text.removeLast()
        }
        guard !text.isEmpty else { throw MailerError(.configuration, field: field, "the file \(path) is empty") }
        return Secret(text)
    }
}

/// ODBC connect strings as text: one value, and a form safe to print.
public enum ConnectStringText {
    /// The keys whose values are credentials.
    static let secretKeys: Set<String> = ["pwd", "password"]

    /// `connectString` with every password value replaced by `***`, for logs and status output.
    public static func redacted(_ connectString: String) -> String {
        attributes(of: connectString).map { key, value in
            secretKeys.contains(key.lowercased()) ? "\(key)=***" : "\(key)=\(value)"
        }.joined(separator: ";")
    }

    /// The value of `key` (case-insensitive) in `connectString`, braces removed.
    public static func value(of key: String, in connectString: String) -> String? {
        guard let raw = attributes(of: connectString).first(where: { $0.key.lowercased() == key.lowercased() }) else {
            return nil
        }
        let value = raw.value
        guard value.hasPrefix("{") && value.hasSuffix("}") && value.count >= 2 else { return value }
        return String(value.dropFirst().dropLast()).replacingOccurrences(of: "}}", with: "}")
    }

    /// Splits a connect string into key and raw value pairs, keeping braced values whole.
    static func attributes(of connectString: String) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        var current = ""
        var inBraces = false
        var characters = Array(connectString)[...]
        while let character = characters.popFirst() {
            if character == "{" && current.hasSuffix("=") {
                inBraces = true
            } else if character == "}" && inBraces {
                if characters.first == "}" {
                    current.append(characters.removeFirst())
                } else {
                    inBraces = false
                }
            } else if character == ";" && !inBraces {
                append(current, to: &pairs)
                current = ""
                continue
            }
            current.append(character)
        }
        append(current, to: &pairs)
        return pairs
    }

    private static func append(_ attribute: String, to pairs: inout [(key: String, value: String)]) {
        guard let equals = attribute.firstIndex(of: "=") else { return }
        let key = attribute[..<equals].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { return }
        pairs.append((key, String(attribute[attribute.index(after: equals)...])))
    }
}
