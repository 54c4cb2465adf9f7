import Foundation

extension MailerConfiguration {
    /// The prefix of every environment override: `QUEUE_MAILER_RELAY_PORT=2525` sets `relay.port`.
    public static let environmentPrefix = "QUEUE_MAILER_"

    /// Variables with the prefix that are not field overrides.
    static let specialVariables: Set<String> = ["CONFIG", "DATABASE_PASSWORD", "RELAY_PASSWORD"]

    /// Sections in match order: `database_retry` before `database`, `relay_probe` before `relay`.
    static let sections = ["database_retry", "database", "relay_probe", "relay", "queue", "retry", "metrics", "log"]

    /// Reads the configuration file at `file` (if any), then applies environment overrides.
    ///
    /// Secrets come only from the environment (`QUEUE_MAILER_DATABASE_PASSWORD`,
    /// `QUEUE_MAILER_RELAY_PASSWORD`) or from files named by `password_file`, never from the
    /// configuration file itself.
    ///
    /// - Throws: ``MailerError`` of kind `configuration` naming the field (and the variable,
    ///   for an override) that is unknown or holds a bad value.
    public static func load(file: String?, environment: [String: String]) throws -> MailerConfiguration {
        var root: [String: JSONValue] = [:]
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw MailerError(.configuration, field: file, "cannot read the configuration file")
            }
            let value = try JSONValue.parse(String(decoding: data, as: UTF8.self), kind: .configuration, what: file)
            guard case .object(let object) = value else {
                throw MailerError(.configuration, field: file, "expected a JSON object, found \(value.typeName)")
            }
            root = object
        }
        var origins: [String: String] = [:]
        try applyOverrides(environment, to: &root, origins: &origins)
        return try read(FieldReader(root, kind: .configuration, origins: origins), environment: environment)
    }

    private static func applyOverrides(
        _ environment: [String: String], to root: inout [String: JSONValue], origins: inout [String: String]
    ) throws {
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix(environmentPrefix) {
            let rest = String(name.dropFirst(environmentPrefix.count))
            guard !specialVariables.contains(rest) else { continue }
            let key = rest.lowercased()
            if key == "instance_name" {
                root[key] = .string(value)
                origins[key] = name
                continue
            }
            guard let section = sections.first(where: { key.hasPrefix($0 + "_") }) else {
                throw MailerError(.configuration, field: name, "not a known setting; sections are \(sections)")
            }
            let field = String(key.dropFirst(section.count + 1))
            var members: [String: JSONValue] = [:]
            switch root[section] {
            case nil, .null?: break
            case .object(let existing)?: members = existing
            case let other?:
                throw MailerError(.configuration, field: section, "expected an object, found \(other.typeName)")
            }
            members[field] = .string(value)
            root[section] = .object(members)
            origins["\(section).\(field)"] = name
        }
    }

    private static func read(_ reader: FieldReader, environment: [String: String]) throws -> MailerConfiguration {
        try reader.rejectUnknownKeys(Set(["instance_name"] + sections))
        var configuration = MailerConfiguration()
        configuration.instanceName = try reader.string("instance_name")
        if let section = try reader.object("database") {
            configuration.database = try DatabaseSettings.read(section)
        }
        if let section = try reader.object("relay") {
            configuration.relay = try RelaySettings.read(section)
        }
        if let section = try reader.object("queue") {
            configuration.queue = try QueueSettings.read(section)
        }
        if let section = try reader.object("retry") {
            configuration.retry = try RetrySettings.read(section, over: .sendDefault)
        }
        if let section = try reader.object("database_retry") {
            configuration.databaseRetry = try RetrySettings.read(section, over: .databaseDefault)
        }
        if let section = try reader.object("relay_probe") {
            configuration.relayProbe = try RetrySettings.read(section, over: .relayProbeDefault)
        }
        if let section = try reader.object("metrics") {
            configuration.metrics.textfile = try section.string("textfile")
            configuration.metrics.interval = try section.duration("interval", minimum: .seconds(1)) ?? .seconds(15)
            try section.rejectUnknownKeys(["textfile", "interval"])
        }
        if let section = try reader.object("log") {
            try section.rejectUnknownKeys(["level"])
            if let level = try section.string("level") {
                guard let parsed = LogLevel(rawValue: level) else {
                    throw section.error("level", "expected one of debug, info, warning, error; found \"\(level)\"")
                }
                configuration.log.level = parsed
            }
        }
        configuration.database.password = try readSecret(
            environment, variable: "QUEUE_MAILER_DATABASE_PASSWORD", file: try reader.object("database"))
        configuration.relay.password = try readSecret(
            environment, variable: "QUEUE_MAILER_RELAY_PASSWORD", file: try reader.object("relay"))
        // A login without a password would fail every message at the relay, one by one.
        if configuration.relay.username != nil, configuration.relay.password == nil,
            let relay = try reader.object("relay")
        {
            throw relay.error("username", "is set but no password is: set QUEUE_MAILER_RELAY_PASSWORD or password_file")
        }
        return configuration
    }

    private static func readSecret(
        _ environment: [String: String], variable: String, file section: FieldReader?
    ) throws -> Secret? {
        let path = try section?.string("password_file")
        if let value = environment[variable], !value.isEmpty {
            if path != nil, let section {
                throw section.error("password_file", "is set and so is \(variable); keep one")
            }
            return Secret(value)
        }
        guard let path, let section else { return nil }
        return try Secret.read(file: path, field: section.fieldPath("password_file"))
    }
}
