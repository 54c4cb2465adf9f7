extension DatabaseSettings {
    /// Reads the `database` section over the defaults.
    static func read(_ reader: FieldReader) throws -> DatabaseSettings {
        try reader.rejectSecretField()
        try reader.rejectUnknownKeys([
            "connect_string", "dialect", "schema", "password_file", "pool_size", "login_timeout",
            "swap_drain_timeout", "reconnect_drain_timeout", "login_retry_delay", "login_retry_maximum_delay",
            "swap_timeout",
        ])
        var settings = DatabaseSettings()
        if let text = try reader.string("connect_string") {
            guard text.contains("=") else {
                throw reader.error(
                    "connect_string", "expected an ODBC connect string such as \"Driver=SQLite3;Database=queue.db;\"")
            }
            settings.connectString = text
        }
        if let name = try reader.string("dialect") {
            guard let dialect = SQLDialect(rawValue: name) else {
                let names = SQLDialect.allCases.map(\.rawValue).joined(separator: ", ")
                throw reader.error("dialect", "expected one of \(names); found \"\(name)\"")
            }
            settings.dialect = dialect
        }
        if let namespace = try reader.string("schema") {
            guard Schema.isValidNamespace(namespace) else {
                throw reader.error("schema", "expected a lower-case name of letters, digits and underscores")
            }
            guard settings.effectiveDialect == .postgresql else {
                throw reader.error("schema", "only PostgreSQL keeps the tables in a schema of their own")
            }
            settings.namespace = namespace
        }
        settings.poolSize = try reader.int("pool_size", in: 1...256) ?? settings.poolSize
        settings.loginTimeout =
            try reader.duration("login_timeout", minimum: .milliseconds(100)) ?? settings.loginTimeout
        settings.swapDrainTimeout = try reader.duration("swap_drain_timeout") ?? settings.swapDrainTimeout
        settings.swapTimeout = try reader.duration("swap_timeout", minimum: .seconds(1)) ?? settings.swapTimeout
        settings.reconnectDrainTimeout =
            try reader.duration("reconnect_drain_timeout") ?? settings.reconnectDrainTimeout
        settings.loginRetryDelay =
            try reader.duration("login_retry_delay", minimum: .milliseconds(10)) ?? settings.loginRetryDelay
        settings.loginRetryMaximumDelay =
            try reader.duration("login_retry_maximum_delay", minimum: .milliseconds(10))
            ?? settings.loginRetryMaximumDelay
        guard settings.loginRetryMaximumDelay >= settings.loginRetryDelay else {
            // Named after the one that was set: a delay raised past the default maximum is the delay's fault.
            let (delay, maximum) = (
                DurationText.format(settings.loginRetryDelay), DurationText.format(settings.loginRetryMaximumDelay)
            )
            if reader.value("login_retry_maximum_delay") == nil {
                throw reader.error(
                    "login_retry_delay", "\(delay) is longer than login_retry_maximum_delay (\(maximum), the default)")
            }
            throw reader.error(
                "login_retry_maximum_delay", "\(maximum) is shorter than login_retry_delay (\(delay))")
        }
        return settings
    }
}

extension RelaySettings {
    /// Reads the `relay` section over the defaults.
    static func read(_ reader: FieldReader) throws -> RelaySettings {
        try reader.rejectSecretField()
        try reader.rejectUnknownKeys([
            "host", "port", "tls", "ca_file", "username", "password_file", "allow_plaintext_auth_on_loopback",
            "helo_name", "connections", "connect_timeout", "command_timeout", "end_of_data_timeout",
            "max_messages_per_connection", "swap_drain_timeout", "outage_limit",
        ])
        var settings = RelaySettings()
        settings.host = try reader.string("host") ?? settings.host
        settings.port = try reader.int("port", in: 1...65535) ?? settings.port
        if let name = try reader.string("tls") {
            guard let mode = TLSMode(rawValue: name) else {
                let names = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                throw reader.error("tls", "expected one of \(names); found \"\(name)\"")
            }
            settings.tls = mode
        }
        settings.caFile = try reader.string("ca_file")
        settings.username = try reader.string("username")
        settings.allowPlaintextAuthOnLoopback = try reader.bool("allow_plaintext_auth_on_loopback") ?? false
        settings.heloName = try reader.string("helo_name")
        settings.connections = try reader.int("connections", in: 1...256) ?? settings.connections
        settings.connectTimeout =
            try reader.duration("connect_timeout", minimum: .milliseconds(100)) ?? settings.connectTimeout
        settings.commandTimeout =
            try reader.duration("command_timeout", minimum: .milliseconds(100)) ?? settings.commandTimeout
        settings.endOfDataTimeout =
            try reader.duration("end_of_data_timeout", minimum: .milliseconds(100)) ?? settings.endOfDataTimeout
        settings.maxMessagesPerConnection =
            try reader.int("max_messages_per_connection", in: 1...100_000) ?? settings.maxMessagesPerConnection
        settings.swapDrainTimeout = try reader.duration("swap_drain_timeout") ?? settings.swapDrainTimeout
        settings.outageLimit = try reader.duration("outage_limit") ?? settings.outageLimit
        return settings
    }
}

extension QueueSettings {
    /// Reads the `queue` section over the defaults.
    static func read(_ reader: FieldReader) throws -> QueueSettings {
        try reader.rejectUnknownKeys([
            "name", "concurrency", "batch_size", "request_channel_capacity", "result_channel_capacity",
            "result_batch_size", "lease", "poll_interval", "reaper_interval", "default_max_attempts",
            "shutdown_timeout",
        ])
        var settings = QueueSettings()
        if let name = try reader.string("name") {
            guard SendRequest.isValidQueueName(name) else { throw reader.error("name", SendRequest.queueNameRule) }
            settings.name = name
        }
        settings.concurrency = try reader.int("concurrency", in: 1...1024) ?? settings.concurrency
        settings.batchSize = try reader.int("batch_size", in: 1...1000) ?? settings.batchSize
        settings.requestChannelCapacity =
            try reader.int("request_channel_capacity", in: 1...100_000) ?? settings.requestChannelCapacity
        settings.resultChannelCapacity =
            try reader.int("result_channel_capacity", in: 1...100_000) ?? settings.resultChannelCapacity
        settings.resultBatchSize = try reader.int("result_batch_size", in: 1...1000) ?? settings.resultBatchSize
        settings.lease = try reader.duration("lease", minimum: .seconds(3)) ?? settings.lease
        settings.pollInterval =
            try reader.duration("poll_interval", minimum: .milliseconds(10)) ?? settings.pollInterval
        settings.reaperInterval =
            try reader.duration("reaper_interval", minimum: .milliseconds(100)) ?? settings.reaperInterval
        settings.defaultMaxAttempts = try reader.int("default_max_attempts", in: 1...100) ?? settings.defaultMaxAttempts
        settings.shutdownTimeout = try reader.duration("shutdown_timeout") ?? settings.shutdownTimeout
        return settings
    }
}

extension FieldReader {
    /// Refuses a `password` member: secrets come from the environment or a file, not the configuration.
    fileprivate func rejectSecretField() throws {
        guard object["password"] != nil else { return }
        let variable = "QUEUE_MAILER_\(path.uppercased())_PASSWORD"
        throw error("password", "secrets are not read from the configuration; set \(variable) or password_file")
    }
}
