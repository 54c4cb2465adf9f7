import Testing

@testable import QueueMailerCore

/// The `database` settings that shape the mailer's database pool.
@Suite("Database pool settings")
struct DatabasePoolSettingsTests {
    @Test("the login retry delays default to the pool's own and reach its creation policy")
    func defaults() throws {
        let configuration = try MailerConfiguration.load(file: nil, environment: [:])
        #expect(configuration.database.loginRetryDelay == .milliseconds(250))
        #expect(configuration.database.loginRetryMaximumDelay == .seconds(10))
        let pool = try ServiceRunner.databasePoolConfiguration(configuration.database)
        #expect(pool.creationPolicy.baseDelay == .milliseconds(250))
        #expect(pool.creationPolicy.maximumDelay == .seconds(10))
    }

    @Test("the file and the environment set the login retry delays")
    func fileAndEnvironment() throws {
        let file = try TemporaryFile(#"{"database": {"login_retry_delay": "1s"}}"#)
        let configuration = try MailerConfiguration.load(
            file: file.path, environment: ["QUEUE_MAILER_DATABASE_LOGIN_RETRY_MAXIMUM_DELAY": "2m"])
        let pool = try ServiceRunner.databasePoolConfiguration(configuration.database)
        #expect(pool.creationPolicy.baseDelay == .seconds(1))
        #expect(pool.creationPolicy.maximumDelay == .seconds(120))
        #expect(pool.connectTimeout == configuration.database.loginTimeout)
    }

    @Test(
        "a login retry delay out of range names the field",
        arguments: [
            (#"{"database": {"login_retry_delay": "1ms"}}"#, "database.login_retry_delay"),
            (#"{"database": {"login_retry_delay": "1m"}}"#, "database.login_retry_delay"),
            (
                #"{"database": {"login_retry_delay": "1m", "login_retry_maximum_delay": "30s"}}"#,
                "database.login_retry_maximum_delay"
            ),
            (#"{"database": {"login_retry_maximum_delay": "soon"}}"#, "database.login_retry_maximum_delay"),
        ])
    func outOfRange(text: String, field: String) throws {
        let file = try TemporaryFile(text)
        let error = try #require(throws: MailerError.self) {
            try MailerConfiguration.load(file: file.path, environment: [:])
        }
        #expect(error.field == field)
    }

    @Test("a delay set from the environment past the default maximum names its variable and both values")
    func environmentDelayPastMaximum() throws {
        let error = try #require(throws: MailerError.self) {
            try MailerConfiguration.load(file: nil, environment: ["QUEUE_MAILER_DATABASE_LOGIN_RETRY_DELAY": "20s"])
        }
        #expect(error.field == "database.login_retry_delay (from QUEUE_MAILER_DATABASE_LOGIN_RETRY_DELAY)")
        #expect(error.reason.contains("20s") && error.reason.contains("10s"), "\(error)")
    }
}
