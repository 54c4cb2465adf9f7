import Testing

@testable import TetherODBC

/// The prepared-statement cache as a value: taking, putting back, dropping and eviction order.
@Suite("StatementCache")
struct StatementCacheEvictionTests {
    private final class Entry: CachedStatement {
        let sql: String
        var isTaken = false
        var lastUse: UInt64 = 0

        init(_ sql: String) {
            self.sql = sql
        }
    }

    /// Runs `sql` once through `cache` the way a session does: taken when cached, else new.
    @discardableResult
    private func use(_ sql: String, in cache: inout StatementCache<Entry>) -> Entry {
        let entry = cache.take(sql) ?? Entry(sql)
        cache.put(entry)
        return entry
    }

    @Test("a statement taken is not lent twice and comes back on put")
    func takenUntilPut() {
        var cache = StatementCache<Entry>(capacity: 4)
        let first = use("SELECT 1", in: &cache)
        let taken = cache.take("SELECT 1")
        #expect(taken === first)
        #expect(cache.take("SELECT 1") == nil)
        cache.put(first)
        #expect(cache.take("SELECT 1") === first)
    }

    @Test("a full cache drops the statement used longest ago")
    func evictsLeastRecentlyUsed() {
        var cache = StatementCache<Entry>(capacity: 2)
        let a = use("A", in: &cache)
        use("B", in: &cache)
        use("A", in: &cache)
        use("C", in: &cache)
        #expect(cache.count == 2)
        #expect(cache.take("B") == nil)
        #expect(cache.take("A") === a)
        #expect(cache.take("C") != nil)
    }

    @Test("a statement taken while the cache fills is not evicted")
    func takenIsNotEvicted() {
        var cache = StatementCache<Entry>(capacity: 1)
        let a = use("A", in: &cache)
        let running = cache.take("A")
        cache.put(Entry("B"))
        #expect(running === a)
        cache.put(a)
        #expect(cache.take("A") === a)
        #expect(cache.count == 1)
    }

    @Test("a dropped statement is prepared anew on its next use, and a fresh one is cached")
    func droppedIsForgotten() {
        var cache = StatementCache<Entry>(capacity: 2)
        let old = use("A", in: &cache)
        let taken = cache.take("A")
        #expect(taken === old)
        cache.drop(old)
        #expect(cache.count == 0)
        let fresh = use("A", in: &cache)
        #expect(fresh !== old)
        #expect(cache.take("A") === fresh)
    }

    @Test("capacity 0 keeps nothing")
    func zeroCapacity() {
        var cache = StatementCache<Entry>(capacity: 0)
        use("A", in: &cache)
        #expect(cache.count == 0)
        #expect(cache.take("A") == nil)
    }

    @Test("put names the statement the cache lets go: the one evicted, or the one it does not keep")
    func putNamesWhatItLetsGo() {
        var cache = StatementCache<Entry>(capacity: 1)
        let a = Entry("A")
        #expect(cache.put(a) == nil)
        let b = Entry("B")
        #expect(cache.put(b) === a)
        let running = cache.take("B")
        #expect(running === b)
        let c = Entry("C")
        #expect(cache.put(c) === c, "a cache whose only statement runs keeps no new one")
        let twin = Entry("B")
        #expect(cache.put(twin) === twin, "the text is cached already")
        #expect(cache.put(b) == nil)
        var none = StatementCache<Entry>(capacity: 0)
        #expect(none.put(a) === a)
    }

    @Test("the statement used last is found again, also after another one ran, and never when dropped")
    func lastUsedFastPath() {
        var cache = StatementCache<Entry>(capacity: 2)
        let a = use("A", in: &cache)
        #expect(use("A", in: &cache) === a)
        let b = use("B", in: &cache)
        #expect(use("A", in: &cache) === a)
        #expect(use("B", in: &cache) === b)
        let taken = cache.take("B")
        #expect(taken === b)
        cache.drop(b)
        #expect(cache.take("B") == nil)
        let c = use("C", in: &cache)
        use("D", in: &cache)
        #expect(cache.count == 2)
        #expect(cache.take("A") == nil, "A was used longest ago and evicted")
        #expect(cache.take("C") === c)
    }
}
