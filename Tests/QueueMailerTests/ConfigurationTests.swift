import Foundation
import QueueMailerCore
import Testing

@Suite("MailerConfiguration")
struct ConfigurationTests {
    @Test("without a file or overrides the defaults run the demo on SQLite")
    func defaults() throws {
        let configuration = try MailerConfiguration.load(file: nil, environment: [:])
        #expect(configuration.database.effectiveDialect == .sqlite)
        #expect(configuration.relay.host == "127.0.0.1")
        #expect(configuration.relay.tls == .required)
        #expect(configuration.queue.concurrency == 4)
        #expect(configuration.queue.lease == .seconds(60))
    }

    @Test("a file sets fields and the environment overrides them")
    func fileAndOverrides() throws {
        let file = try TemporaryFile(
            #"{"relay": {"host": "mx.example.com", "port": 587, "tls": "opportunistic"}, "queue": {"lease": "90s"}}"#)
        let configuration = try MailerConfiguration.load(
            file: file.path,
            environment: ["QUEUE_MAILER_RELAY_PORT": "2525", "QUEUE_MAILER_QUEUE_BATCH_SIZE": "3"])
        #expect(configuration.relay.host == "mx.example.com")
        #expect(configuration.relay.port == 2525)
        #expect(configuration.relay.tls == .opportunistic)
        #expect(configuration.queue.lease == .seconds(90))
        #expect(configuration.queue.batchSize == 3)
    }

    @Test("the relay outage settings: defaults, relay_probe in the file, outage_limit from the environment")
    func relayOutageSettings() throws {
        let defaults = try MailerConfiguration.load(file: nil, environment: [:])
        #expect(defaults.relay.outageLimit == .seconds(300))
        #expect(defaults.relayProbe == .relayProbeDefault)
        let file = try TemporaryFile(#"{"relay_probe": {"base_delay": "2s", "maximum_delay": "1m"}}"#)
        let configuration = try MailerConfiguration.load(
            file: file.path,
            environment: ["QUEUE_MAILER_RELAY_OUTAGE_LIMIT": "90s", "QUEUE_MAILER_RELAY_PROBE_JITTER": "0.1"])
        #expect(configuration.relay.outageLimit == .seconds(90))
        #expect(configuration.relayProbe.baseDelay == .seconds(2))
        #expect(configuration.relayProbe.maximumDelay == .seconds(60))
        #expect(configuration.relayProbe.jitter == 0.1)
        let bad = try #require(throws: MailerError.self) {
            try MailerConfiguration.load(file: nil, environment: ["QUEUE_MAILER_RELAY_OUTAGE_LIMIT": "a while"])
        }
        #expect(bad.field == "relay.outage_limit (from QUEUE_MAILER_RELAY_OUTAGE_LIMIT)")
    }

    @Test("a bad value names the field and what was expected")
    func badValueNamesField() throws {
        let file = try TemporaryFile(#"{"relay": {"port": 70000}}"#)
        let error = try #require(throws: MailerError.self) {
            try MailerConfiguration.load(file: file.path, environment: [:])
        }
        #expect(error.kind == .configuration)
        #expect(error.field == "relay.port")
        #expect(error.reason.contains("1...65535"))
    }

    @Test("a bad override names the variable it came from")
    func badOverrideNamesVariable() throws {
        let error = try #require(throws: MailerError.self) {
            try MailerConfiguration.load(file: nil, environment: ["QUEUE_MAILER_QUEUE_LEASE": "soon"])
        }
        #expect(error.description.contains("queue.lease (from QUEUE_MAILER_QUEUE_LEASE)"))
        #expect(error.reason.contains("duration"))
    }

    @Test("a misspelt field is refused, not ignored")
    func unknownField() throws {
        let file = try TemporaryFile(#"{"queue": {"batchsize": 10}}"#)
        let error = try #require(throws: MailerError.self) {
            try MailerConfiguration.load(file: file.path, environment: [:])
        }
        #expect(error.field == "queue.batchsize")
        #expect(error.reason.contains("batch_size"))
    }

    @Test("an unknown override variable is refused")
    func unknownVariable() throws {
        #expect(throws: MailerError.self) {
            try MailerConfiguration.load(file: nil, environment: ["QUEUE_MAILER_RELAYHOST": "x"])
        }
    }

    @Test("a file that is not JSON names the file")
    func notJSON() throws {
        let file = try TemporaryFile("{relay: }")
        let error = try #require(throws: MailerError.self) {
            try MailerConfiguration.load(file: file.path, environment: [:])
        }
        #expect(error.field == file.path)
    }

    @Test("passwords come from the environment or a file and are never printed")
    func secrets() throws {
        let secretFile = try TemporaryFile("s3cret-from-file\n")
        let file = try TemporaryFile(#"{"relay": {"username": "mailer", "password_file": "\#(secretFile.path)"}}"#)
        let configuration = try MailerConfiguration.load(
            file: file.path, environment: ["QUEUE_MAILER_DATABASE_PASSWORD": "db-pass;}x"])
        #expect(configuration.relay.password?.value == "s3cret-from-file")
        #expect(configuration.database.password?.value == "db-pass;}x")
        #expect("\(configuration.relay.password!)" == "<redacted>")
        var dump = ""
        Swift.dump(configuration, to: &dump)
        #expect(!dump.contains("s3cret"))
        #expect(!dump.contains("db-pass"))
    }

    @Test("a relay username without a password is refused at start, from the file or the environment")
    func usernameWithoutPassword() throws {
        let file = try TemporaryFile(#"{"relay": {"username": "mailer"}}"#)
        let error = try #require(throws: MailerError.self) {
            try MailerConfiguration.load(file: file.path, environment: [:])
        }
        #expect(error.kind == .configuration)
        #expect(error.field == "relay.username")
        #expect(error.reason.contains("QUEUE_MAILER_RELAY_PASSWORD"))
        #expect(throws: MailerError.self) {
            try MailerConfiguration.load(file: nil, environment: ["QUEUE_MAILER_RELAY_USERNAME": "mailer"])
        }
        let withPassword = try MailerConfiguration.load(
            file: file.path, environment: ["QUEUE_MAILER_RELAY_PASSWORD": "pw"])
        #expect(withPassword.relay.username == "mailer")
    }

    @Test("a password in the configuration file is refused with where to put it instead")
    func passwordInFileRefused() throws {
        let file = try TemporaryFile(#"{"database": {"password": "hunter2"}}"#)
        let error = try #require(throws: MailerError.self) {
            try MailerConfiguration.load(file: file.path, environment: [:])
        }
        #expect(error.description.contains("QUEUE_MAILER_DATABASE_PASSWORD"))
        #expect(!error.description.contains("hunter2"))
    }

    @Test("the password is set in the connect string, escaped, and hidden when shown")
    func connectStringPassword() throws {
        var settings = DatabaseSettings()
        settings.connectString = "Driver={PostgreSQL Unicode};Server=127.0.0.1;Uid=tether"
        settings.password = Secret("a;b}c")
        let connectString = try settings.odbcConnectString()
        #expect(connectString["pwd"] == "a;b}c")
        #expect(connectString.rendered.contains("{a;b}}c}"))
        #expect(!"\(connectString)".contains("a;b"))
        let shown = ConnectStringText.redacted(connectString.rendered)
        #expect(!shown.contains("a;b"))
        #expect(shown.contains("=***"))
        #expect(SQLDialect.detect(connectString: connectString.rendered) == .postgresql)
    }

    @Test("a connect string that does not parse is refused naming the field")
    func badConnectString() throws {
        var settings = DatabaseSettings()
        settings.connectString = "Driver={unterminated;Database=x"
        let error = try #require(throws: MailerError.self) { try settings.odbcConnectString() }
        #expect(error.field == "database.connect_string")
    }

    @Test("the demo configuration in samples loads")
    func demoConfiguration() throws {
        let configuration = try MailerConfiguration.load(file: Samples.path("demo-config.json"), environment: [:])
        #expect(configuration.relay.tls == RelaySettings.TLSMode.none)
        #expect(configuration.database.effectiveDialect == .sqlite)
    }

    @Test("retry settings reject a maximum below the base")
    func retryBounds() throws {
        let file = try TemporaryFile(#"{"retry": {"base_delay": "10s", "maximum_delay": "1s"}}"#)
        let error = try #require(throws: MailerError.self) {
            try MailerConfiguration.load(file: file.path, environment: [:])
        }
        #expect(error.field == "retry.maximum_delay")
    }

    @Test(
        "a duration beyond a year is refused naming the field, from the file or the environment",
        arguments: [
            (#"{"database": {"swap_timeout": 1e300}}"#, [:], "database.swap_timeout"),
            (#"{"queue": {"lease": "9999999999999h"}}"#, [:], "queue.lease"),
            (
                "{}", ["QUEUE_MAILER_DATABASE_SWAP_TIMEOUT": "1e17s"],
                "database.swap_timeout (from QUEUE_MAILER_DATABASE_SWAP_TIMEOUT)"
            ),
        ])
    func hugeDurationRefused(file text: String, environment: [String: String], field: String) throws {
        let file = try TemporaryFile(text)
        let error = try #require(throws: MailerError.self) {
            try MailerConfiguration.load(file: file.path, environment: environment)
        }
        #expect(error.field == field)
        #expect(error.reason.contains("at most"), "\(error)")
    }
}
