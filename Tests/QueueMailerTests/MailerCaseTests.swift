import QueueMailerCore
import Testing

extension MailerIntegration {
    @Suite("Mail queue cases on SQLite")
    struct SQLiteMailerCaseTests {
        @Test("M1: the relay closing every 3 messages sends each request exactly once") func m1() async throws {
            try await withFixture(.sqlite, MailerCaseScenarios.relayDropsEveryFewMessages)
        }
        @Test("M2: transport errors leave a result row for every attempt") func m2() async throws {
            try await withFixture(.sqlite, MailerCaseScenarios.transportErrorsAreRecorded)
        }
        @Test("M3: 4xx waits for the hint, 5xx fails with the reply") func m3() async throws {
            try await withFixture(.sqlite, MailerCaseScenarios.transientAndPermanentReplies)
        }
        @Test("M5: bad data fails that request and the queue moves on") func m5() async throws {
            try await withFixture(.sqlite, MailerCaseScenarios.badDataFailsAndQueueMovesOn)
        }
        @Test("M6: no final reply in time is unknown and not resent") func m6() async throws {
            try await withFixture(.sqlite, MailerCaseScenarios.slowFinalReplyIsUnknown)
        }
        @Test("M8: shutdown lets sends finish and returns the rest") func m8() async throws {
            try await withFixture(.sqlite, MailerCaseScenarios.shutdownReturnsUnfinishedWork)
        }
    }
}

extension MailerIntegration {
    @Suite(
        "Mail queue cases on PostgreSQL",
        .enabled(if: TestServersGate.postgres, Comment(rawValue: TestServersGate.postgresMessage)))
    struct PostgresMailerCaseTests {
        @Test("M1: the relay closing every 3 messages sends each request exactly once") func m1() async throws {
            try await withFixture(.postgresql, MailerCaseScenarios.relayDropsEveryFewMessages)
        }
        @Test("M2: transport errors leave a result row for every attempt") func m2() async throws {
            try await withFixture(.postgresql, MailerCaseScenarios.transportErrorsAreRecorded)
        }
        @Test("M3: 4xx waits for the hint, 5xx fails with the reply") func m3() async throws {
            try await withFixture(.postgresql, MailerCaseScenarios.transientAndPermanentReplies)
        }
        @Test("M5: bad data fails that request and the queue moves on") func m5() async throws {
            try await withFixture(.postgresql, MailerCaseScenarios.badDataFailsAndQueueMovesOn)
        }
        @Test("M6: no final reply in time is unknown and not resent") func m6() async throws {
            try await withFixture(.postgresql, MailerCaseScenarios.slowFinalReplyIsUnknown)
        }
        @Test("M8: shutdown lets sends finish and returns the rest") func m8() async throws {
            try await withFixture(.postgresql, MailerCaseScenarios.shutdownReturnsUnfinishedWork)
        }
    }
}
