import Testing
import TetherRetry

@Suite("RetryBudget")
struct RetryBudgetTests {
    @Test("retries take tokens until fewer than one is left")
    func drains() throws {
        let budget = try RetryBudget(capacity: 3, refillPerSuccess: 0.5)
        #expect(budget.tryAcquireRetry())
        #expect(budget.tryAcquireRetry())
        #expect(budget.tryAcquireRetry())
        #expect(!budget.tryAcquireRetry())
        #expect(budget.availableTokens == 0)
    }

    @Test("successes refill, never above capacity")
    func refills() throws {
        let budget = try RetryBudget(capacity: 2, refillPerSuccess: 0.5)
        #expect(budget.tryAcquireRetry())
        #expect(budget.tryAcquireRetry())
        budget.recordSuccess()
        #expect(!budget.tryAcquireRetry())
        budget.recordSuccess()
        #expect(budget.tryAcquireRetry())
        for _ in 0..<20 {
            budget.recordSuccess()
        }
        #expect(budget.availableTokens == 2)
    }

    @Test(
        "bad settings are rejected naming the field",
        arguments: [
            (0.5, 0.1, "capacity"), (10, -1, "refillPerSuccess"),
            (.infinity, 0.1, "capacity"), (10, .nan, "refillPerSuccess"),
        ])
    func rejects(capacity: Double, refill: Double, field: String) throws {
        let error = #expect(throws: ReconnectPolicyError.self) {
            try RetryBudget(capacity: capacity, refillPerSuccess: refill)
        }
        #expect(try #require(error).field == field)
    }

    @Test("many tasks sharing one budget take exactly its tokens")
    func shared() async throws {
        let budget = try RetryBudget(capacity: 100, refillPerSuccess: 0)
        let granted = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<50).filter { _ in budget.tryAcquireRetry() }.count }
            }
            return await group.reduce(0, +)
        }
        #expect(granted == 100)
    }
}
