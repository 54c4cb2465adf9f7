import QueueMailerCore
import Testing
import TetherODBC

/// The batched statements: one claim that also answers "already sent?", one write per batch.
enum QueueStoreBatchScenarios {
    static func fencedRowInTheMiddle(_ fixture: StoreFixture) async throws {
        let store = fixture.store()
        _ = try await store.enqueue(
            [sampleRequest("a"), sampleRequest("b"), sampleRequest("c")], defaultMaxAttempts: 5)
        let claimed = try await store.claim(limit: 3)
        #expect(claimed.count == 3)
        var results = claimed.map { item in
            var result = AttemptResult(
                requestID: item.id, attempt: item.attempt, maxAttempts: 5, outcome: .sent, smtpCode: 250,
                detail: "250 2.0.0 queued \(item.id)")
            result.recipients = [RecipientResult(address: "ana@example.org", accepted: true, code: 250)]
            return result
        }
        results[1].attempt += 1
        results[1].outcome = .failed
        results[1].smtpCode = nil
        results[1].detail = "a stale claim's \"word\", with a \\ and {braces}, NULL"
        #expect(try await store.write(results) == 2, "the stale middle result changes no state")
        let states = try await fixture.rows(
            "SELECT id, state FROM \(fixture.schema.requestTable) ORDER BY id")
        #expect(states.map { $0[1] } == ["done", "running", "done"])
        let rows = try await fixture.rows(
            "SELECT request_id, attempt, outcome, smtp_code, reply_text, worker FROM \(fixture.schema.resultTable)"
                + " ORDER BY request_id")
        #expect(rows.count == 3, "every result is recorded, the fenced one too")
        #expect(rows[1][1] == String(claimed[1].attempt + 1))
        #expect(rows[1][2] == "failed")
        #expect(rows[1][3] == nil)
        #expect(rows[1][4] == results[1].detail)
        #expect(rows[0][4] == "250 2.0.0 queued \(claimed[0].id)")
        #expect(rows.allSatisfy { $0[5] == "test-instance" })
        let recipients = try await fixture.rows(
            "SELECT recipients FROM \(fixture.schema.resultTable) WHERE request_id = ?", [.int(claimed[0].id)])
        #expect(recipients == [[#"[{"accepted":true,"address":"ana@example.org","code":250}]"#]])
    }

    static func mixedOutcomesInOneBatch(_ fixture: StoreFixture) async throws {
        let store = fixture.store()
        let keys = ["sent", "retry", "last", "released", "failed"]
        _ = try await store.enqueue(keys.map { sampleRequest($0) }, defaultMaxAttempts: 1)
        let claimed = try await store.claim(limit: 5)
        let byKey = Dictionary(uniqueKeysWithValues: try claimed.map { (try $0.request.get().idempotencyKey, $0) })
        func result(_ key: String, _ outcome: AttemptOutcome, max: Int = 1) throws -> AttemptResult {
            let item = try #require(byKey[key])
            return AttemptResult(
                requestID: item.id, attempt: item.attempt, maxAttempts: max, outcome: outcome, detail: key)
        }
        var retry = try result("retry", .retry, max: 2)
        retry.retryAfter = .seconds(3600)
        var released = try result("released", .retry)
        released.released = true
        let batch = [
            try result("sent", .sent), retry, try result("last", .retry), released, try result("failed", .failed),
        ]
        #expect(try await store.write(batch) == 5)
        let rows = try await fixture.rows(
            "SELECT idempotency_key, state, max_attempts, last_error FROM \(fixture.schema.requestTable)"
                + " ORDER BY idempotency_key")
        #expect(
            rows == [
                ["failed", "failed", "1", "failed"], ["last", "failed", "1", "no attempts left (1); last: last"],
                ["released", "ready", "2", "released"], ["retry", "ready", "1", "retry"], ["sent", "done", "1", nil],
            ])
        let again = try await store.claim(limit: 5)
        #expect(again.map(\.id) == [try #require(byKey["released"]).id], "the retry waits an hour")
    }

    static func claimCarriesEarlierSend(_ fixture: StoreFixture) async throws {
        let dead = fixture.store(owner: "dead-instance", lease: .milliseconds(1))
        _ = try await dead.enqueue([sampleRequest("lost"), sampleRequest("fresh")], defaultMaxAttempts: 5)
        let first = try await dead.claim(limit: 2)
        #expect(first.map(\.earlierSend) == [.notSent, .notSent])
        try await Task.sleep(for: .milliseconds(20))
        let live = fixture.store(owner: "live-instance")
        #expect(try await live.reapExpired() == 2)
        let lost = try #require(first.first { (try? $0.request.get().idempotencyKey) == "lost" })
        let late = AttemptResult(requestID: lost.id, attempt: 1, maxAttempts: 5, outcome: .sent, detail: "250 OK")
        #expect(try await dead.write([late]) == 0)
        let second = try await live.claim(limit: 2)
        let found = Dictionary(uniqueKeysWithValues: second.map { ($0.id, $0.earlierSend) })
        #expect(found[lost.id] == .sent(attempt: 1))
        #expect(found.filter { $0.key != lost.id }.values.allSatisfy { $0 == .notSent })
        let again = try #require(second.first { $0.id == lost.id })
        #expect(try await live.sentAttempt(of: again) == 1)
    }

    static func twoAttemptsOfOneRequest(_ fixture: StoreFixture) async throws {
        let dead = fixture.store(owner: "dead-instance", lease: .milliseconds(1))
        _ = try await dead.enqueue([sampleRequest("both")], defaultMaxAttempts: 5)
        let first = try #require(try await dead.claim(limit: 1).first)
        try await Task.sleep(for: .milliseconds(20))
        let live = fixture.store(owner: "live-instance")
        #expect(try await live.reapExpired() == 1)
        let second = try #require(try await live.claim(limit: 1).first)
        let stale = AttemptResult(requestID: first.id, attempt: 1, maxAttempts: 5, outcome: .failed, detail: "late")
        let current = AttemptResult(requestID: second.id, attempt: 2, maxAttempts: 5, outcome: .sent, detail: "250 OK")
        #expect(try await live.write([stale, current]) == 1, "only the current attempt moves the request")
        let rows = try await fixture.rows(
            "SELECT attempt, outcome, source FROM \(fixture.schema.resultTable) ORDER BY attempt")
        #expect(rows == [["1", "failed", "worker"], ["2", "sent", "worker"]], "the late row replaces the reaper's")
        #expect(try await fixture.rows("SELECT state FROM \(fixture.schema.requestTable)") == [["done"]])
    }

    static func sameAttemptTwiceIsWrittenInOrder(_ fixture: StoreFixture) async throws {
        let store = fixture.store()
        _ = try await store.enqueue([sampleRequest("twice")], defaultMaxAttempts: 5)
        let claimed = try #require(try await store.claim(limit: 1).first)
        let sent = AttemptResult(
            requestID: claimed.id, attempt: claimed.attempt, maxAttempts: 5, outcome: .sent, detail: "first")
        var later = sent
        later.outcome = .failed
        later.detail = "second"
        #expect(try await store.write([sent, later]) == 1)
        let rows = try await fixture.rows(
            "SELECT outcome, reply_text FROM \(fixture.schema.resultTable) WHERE request_id = ?", [.int(claimed.id)])
        #expect(rows == [["sent", "first"]], "a worker's row is never replaced")
        #expect(try await fixture.rows("SELECT state FROM \(fixture.schema.requestTable)") == [["done"]])
    }
}

@Suite("QueueStore batches on SQLite")
struct SQLiteQueueStoreBatchTests {
    @Test("a fenced result in the middle of a batch is recorded, its state untouched") func fenced() async throws {
        try await withFixture(.sqlite, QueueStoreBatchScenarios.fencedRowInTheMiddle)
    }
    @Test("one batch with every outcome records each state change") func mixed() async throws {
        try await withFixture(.sqlite, QueueStoreBatchScenarios.mixedOutcomesInOneBatch)
    }
    @Test("a claim says which earlier attempt was sent") func earlierSend() async throws {
        try await withFixture(.sqlite, QueueStoreBatchScenarios.claimCarriesEarlierSend)
    }
    @Test("one attempt twice in a batch: the first result wins") func twice() async throws {
        try await withFixture(.sqlite, QueueStoreBatchScenarios.sameAttemptTwiceIsWrittenInOrder)
    }
    @Test("a reaped attempt and the next one in one batch") func twoAttempts() async throws {
        try await withFixture(.sqlite, QueueStoreBatchScenarios.twoAttemptsOfOneRequest)
    }
}

@Suite(
    "QueueStore batches on PostgreSQL",
    .enabled(if: TestServersGate.postgres, Comment(rawValue: TestServersGate.postgresMessage)))
struct PostgresQueueStoreBatchTests {
    @Test("a fenced result in the middle of a batch is recorded, its state untouched") func fenced() async throws {
        try await withFixture(.postgresql, QueueStoreBatchScenarios.fencedRowInTheMiddle)
    }
    @Test("one batch with every outcome records each state change") func mixed() async throws {
        try await withFixture(.postgresql, QueueStoreBatchScenarios.mixedOutcomesInOneBatch)
    }
    @Test("a claim says which earlier attempt was sent") func earlierSend() async throws {
        try await withFixture(.postgresql, QueueStoreBatchScenarios.claimCarriesEarlierSend)
    }
    @Test("one attempt twice in a batch: the first result wins") func twice() async throws {
        try await withFixture(.postgresql, QueueStoreBatchScenarios.sameAttemptTwiceIsWrittenInOrder)
    }
    @Test("a reaped attempt and the next one in one batch") func twoAttempts() async throws {
        try await withFixture(.postgresql, QueueStoreBatchScenarios.twoAttemptsOfOneRequest)
    }
    @Test(
        "array literals carry any text through PostgreSQL",
        arguments: [
            [
                "plain", "with \"quotes\"", "back\\slash", "{braces},commas", "NULL", "", " padded ", "line\r\nbreak",
                "é ✓",
            ],
            [nil, "after a null"], [String?](),
        ])
    func arrayLiterals(_ values: [String?]) async throws {
        try await withFixture(.postgresql) { fixture in
            let rows = try await fixture.rows(
                "SELECT * FROM unnest(CAST(? AS TEXT[]))", [.text(PostgresArrayLiteral.texts(values))])
            #expect(rows.map { $0[0] } == values)
        }
    }

    @Test("a NUL character, which text cannot hold, arrives as U+FFFD and the batch is written")
    func nulInReply() async throws {
        try await withFixture(.postgresql) { fixture in
            let store = fixture.store()
            _ = try await store.enqueue([sampleRequest("nul")], defaultMaxAttempts: 5)
            let claimed = try #require(try await store.claim(limit: 1).first)
            let result = AttemptResult(
                requestID: claimed.id, attempt: claimed.attempt, maxAttempts: 5, outcome: .failed,
                detail: "550 bad\u{0}byte, then more")
            #expect(try await store.write([result]) == 1)
            let rows = try await fixture.rows("SELECT reply_text FROM \(fixture.schema.resultTable)")
            #expect(rows == [["550 bad\u{FFFD}byte, then more"]])
        }
    }
}

@Suite("PostgresArrayLiteral")
struct PostgresArrayLiteralTests {
    @Test("text elements are quoted and escaped; only a missing value is NULL") func texts() {
        #expect(
            PostgresArrayLiteral.texts(["a", nil, "NULL", #"say "hi" \ bye"#])
                == #"{"a",NULL,"NULL","say \"hi\" \\ bye"}"#)
        #expect(PostgresArrayLiteral.texts([]) == "{}")
    }
    @Test("integers are written plainly") func integers() {
        #expect(PostgresArrayLiteral.integers([1, nil, -7, Int64.max]) == "{1,NULL,-7,9223372036854775807}")
    }
}
