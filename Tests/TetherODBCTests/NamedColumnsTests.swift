import Testing

@testable import TetherODBC

/// Which SQL texts name each of their result columns, so that a prepared statement's later runs
/// skip asking the driver how many there are.
@Suite("Queries that name their columns")
struct NamedColumnsTests {
    @Test(
        "a single query with an explicit select list names its columns",
        arguments: [
            "SELECT 1", "select id, name FROM jobs WHERE id = ?", "  SELECT count(id) FROM jobs;",
            "WITH recent AS (SELECT id FROM jobs) SELECT id FROM recent", "VALUES (1, 'a')",
            "SELECT '*' AS star, \"a*b\" FROM t -- count(*)", "SELECT /* * */ id FROM jobs",
        ])
    func names(_ sql: String) {
        #expect(SQLPieces(sql).namesItsColumns, "\(sql)")
    }

    @Test(
        "an asterisk, a command, a batch or unfinished text does not",
        arguments: [
            "SELECT * FROM jobs", "SELECT j.* FROM jobs j", "SELECT 2 * 3",
            "WITH x AS (SELECT * FROM t) SELECT a FROM x",
            "UPDATE jobs SET state = 1 RETURNING id", "CALL refresh()", "SELECT 1; SELECT 2", "SELECT 'unclosed",
            "", "-- only a comment",
        ])
    func doesNotName(_ sql: String) {
        #expect(!SQLPieces(sql).namesItsColumns, "\(sql)")
    }
}
