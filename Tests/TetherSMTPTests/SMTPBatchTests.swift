import Testing
import TetherTestKit

@testable import TetherSMTP

@Suite("SMTPConnection batches")
struct SMTPBatchTests {
    @Test("with PIPELINING the next envelope follows the end of data in the same write")
    func pipelinedAcrossMessages() async throws {
        let stream = ScriptedByteStream()
        let connection = try await Script.connection(stream)
        let messages = try (1...3).map { try Script.message(text: "message \($0)") }
        let sending = Task { await connection.send(batch: messages) }
        for _ in 0..<3 { _ = try await stream.nextLine() }
        // Counted before the replies go out: once they do, the client may write at any moment.
        let writes = stream.writeCount
        stream.send("250 OK\r\n250 OK\r\n354 go\r\n")
        _ = try await stream.nextData()
        #expect(try await stream.nextLine() == "MAIL FROM:<sender@example.com>")
        #expect(stream.writeCount == writes + 1)
        stream.send("554 5.7.1 refused\r\n")
        for _ in 0..<2 { _ = try await stream.nextLine() }
        stream.send("250 OK\r\n250 OK\r\n354 go\r\n")
        _ = try await stream.nextData()
        for _ in 0..<3 { _ = try await stream.nextLine() }
        stream.send("250 OK queued as TWO\r\n250 OK\r\n250 OK\r\n354 go\r\n")
        let last = try await stream.nextData()
        #expect(last.string.contains("message 3"))
        stream.send("250 OK queued as THREE\r\n")
        let results = await sending.value
        #expect(results.count == 3)
        guard case .failure(let first) = results[0] else { throw SMTPError.invalid("results[0]", "expected a failure") }
        #expect(first.kind == .permanent && first.phase == .endOfData)
        #expect(try results[1].get().queueID == "TWO" && results[2].get().queueID == "THREE")
        #expect(connection.isReusable)
    }

    @Test("a connection that breaks mid-batch fails the rest as not sent, marked for a new connection")
    func brokenMidBatch() async throws {
        let stream = ScriptedByteStream()
        let connection = try await Script.connection(stream)
        let messages = try (1...3).map { try Script.message(text: "message \($0)") }
        let sending = Task { await connection.send(batch: messages) }
        for _ in 0..<3 { _ = try await stream.nextLine() }
        stream.send("250 OK\r\n250 OK\r\n354 go\r\n")
        _ = try await stream.nextData()
        stream.closeFromPeer()
        let results = await sending.value
        guard case .failure(let first) = results[0], case .failure(let second) = results[1],
            case .failure(let third) = results[2]
        else { throw SMTPError.invalid("results", "expected three failures") }
        #expect(first.kind == .ambiguous)
        #expect(second.kind == .notAccepted && second.connectionFoundDead)
        #expect(third.connectionFoundDead)
    }
}
