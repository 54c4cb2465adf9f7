/// An ODBC connect string, built from keys and values and escaped correctly.
///
/// A value that contains `;`, `{`, `}`, `=`, or leading or trailing spaces is written in braces,
/// with each `}` doubled, so a password such as `a;b}c` cannot end the attribute early or
/// inject another one. Keys are matched without regard to case. `description` shows `PWD` (and
/// any key that names a password) as `***`; only ``rendered`` holds the secret.
///
/// ```swift
/// var connectString = ODBCConnectString(driver: "PostgreSQL Unicode", server: "127.0.0.1", port: 5432,
///     database: "tether", user: "tether", password: "s3cr;t")
/// connectString["sslmode"] = "require"
/// print(connectString)  // Driver={PostgreSQL Unicode};Server=127.0.0.1;...;PWD=***;sslmode=require
/// ```
public struct ODBCConnectString: Sendable, Hashable, CustomStringConvertible {
    /// One `key=value` pair.
    public struct Attribute: Sendable, Hashable {
        /// The key, as given.
        public var key: String
        /// The value, unescaped.
        public var value: String
    }

    /// The attributes in order.
    public private(set) var attributes: [Attribute] = []

    /// Makes an empty connect string; add attributes with the subscript.
    public init() {}

    /// Makes a connect string for a driver and the usual attributes; `nil` leaves one out.
    public init(
        driver: String, server: String? = nil, port: Int? = nil, database: String? = nil, user: String? = nil,
        password: String? = nil
    ) {
        self["Driver"] = driver
        self["Server"] = server
        self["Port"] = port.map(String.init)
        self["Database"] = database
        self["UID"] = user
        self["PWD"] = password
    }

    /// The value for `key` (any case); setting `nil` removes it, setting a present key replaces it in place.
    public subscript(key: String) -> String? {
        get {
            attributes.first { $0.key.lowercased() == key.lowercased() }?.value
        }
        set {
            let index = attributes.firstIndex { $0.key.lowercased() == key.lowercased() }
            switch (index, newValue) {
            case (let index?, let value?): attributes[index].value = value
            case (let index?, nil): attributes.remove(at: index)
            case (nil, let value?): attributes.append(Attribute(key: key, value: value))
            case (nil, nil): break
            }
        }
    }

    /// The full string to hand to the driver, password included. Never log it.
    public var rendered: String {
        attributes.map { "\($0.key)=\(Self.escape($0.value))" }.joined(separator: ";")
    }

    /// The connect string with every password shown as `***`.
    public var description: String {
        attributes.map { "\($0.key)=\(Self.isSecret($0.key) ? "***" : Self.escape($0.value))" }.joined(separator: ";")
    }

    /// The values that must never show in an error message.
    var secrets: [String] {
        attributes.filter { Self.isSecret($0.key) }.map(\.value)
    }

    /// Whether `key` names a password: `PWD`, `Password`, or any key containing either.
    public static func isSecret(_ key: String) -> Bool {
        let key = key.lowercased()
        return key.contains("pwd") || key.contains("password")
    }

    /// `value` as it must be written in a connect string.
    ///
    /// Decided by Unicode scalar, not by `Character`: a combining mark after `;` or `}` makes
    /// one `Character` that equals neither, yet a driver manager reads the bytes and would still
    /// end the value there.
    static func escape(_ value: String) -> String {
        let scalars = value.unicodeScalars
        let needsBraces =
            scalars.contains(where: isDelimiter)
            || scalars.first?.properties.isWhitespace == true || scalars.last?.properties.isWhitespace == true
        guard needsBraces else {
            return value
        }
        var escaped = String.UnicodeScalarView()
        escaped.append("{")
        for scalar in scalars {
            escaped.append(scalar)
            if scalar == "}" {
                escaped.append("}")
            }
        }
        escaped.append("}")
        return String(escaped)
    }

    /// Whether `scalar` ends a key or a plain value, or opens or closes a braced one.
    static func isDelimiter(_ scalar: Unicode.Scalar) -> Bool {
        scalar == ";" || scalar == "=" || scalar == "{" || scalar == "}"
    }

    /// Checks that every key and value can be written: no empty key, no key with `;`, `=`,
    /// braces or spaces at its ends, no NUL anywhere.
    ///
    /// - Throws: ``ODBCError`` of kind ``ODBCError/Kind/invalidArgument`` naming the key (never the value).
    public func validate() throws(ODBCError) {
        for attribute in attributes {
            let key = attribute.key
            let scalars = key.unicodeScalars
            if key.isEmpty || scalars.contains(where: { Self.isDelimiter($0) || $0 == "\0" }) || key.trimmed != key {
                throw .invalidArgument("ODBCConnectString", "the key '\(key)' is empty or holds ; = { } or spaces")
            }
            if attribute.value.unicodeScalars.contains("\0") {
                throw .invalidArgument("ODBCConnectString", "the value of '\(key)' holds a NUL character")
            }
        }
    }
}

extension String {
    /// The string without whitespace scalars at either end.
    var trimmed: String {
        String(Substring(self).unicodeScalars.trimmed)
    }
}

extension Substring.UnicodeScalarView {
    /// The scalars without whitespace at either end.
    var trimmed: Substring.UnicodeScalarView {
        let start = firstIndex { !$0.properties.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.properties.isWhitespace }.map(index(after:)) ?? start
        return self[start..<end]
    }
}
