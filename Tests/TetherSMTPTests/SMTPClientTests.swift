import Testing
import TetherNet
import TetherTestKit

@testable import TetherSMTP

@Suite("SMTPClient connection reuse")
struct SMTPClientTests {
    func client(_ connector: ScriptedConnector, _ configure: (inout SMTPConfiguration) -> Void = { _ in })
        -> SMTPClient
    {
        var configuration = Script.configuration()
        configure(&configuration)
        return SMTPClient(configuration: configuration, connector: connector.connector)
    }

    /// Sends one message through `client` on the connector's first connection and returns that
    /// connection, idle in the client again.
    func deliverOnFirstConnection(_ client: SMTPClient, _ connector: ScriptedConnector) async throws
        -> ScriptedByteStream
    {
        let first = Task { try await client.send(try Script.message()) }
        let stream = await connector.next()
        try await Script.greet(stream)
        _ = try await Script.acceptMessage(stream)
        _ = try await first.value
        return stream
    }

    @Test("a second message reuses the idle connection")
    func reuse() async throws {
        let connector = ScriptedConnector()
        let client = client(connector)
        let stream = try await deliverOnFirstConnection(client, connector)
        let second = Task { try await client.send(try Script.message()) }
        _ = try await Script.acceptMessage(stream, queueID: "Q2")
        #expect(try await second.value.queueID == "Q2")
        #expect(connector.count == 1 && client.idleConnections == 1)
    }

    @Test(
        "S4: the server closed the idle connection: a new one carries the message, exactly once",
        arguments: [false, true])
    func deadIdleConnection(saidGoodbye: Bool) async throws {
        let connector = ScriptedConnector()
        let client = client(connector)
        let old = try await deliverOnFirstConnection(client, connector)
        if saidGoodbye { old.send("221 2.0.0 idle timeout\r\n") }
        old.closeFromPeer()
        let second = Task { try await client.send(try Script.message(text: "only once")) }
        let fresh = await connector.next()
        try await Script.greet(fresh)
        let content = try await Script.acceptMessage(fresh, queueID: "NEW")
        #expect(content.string.contains("only once"))
        #expect(try await second.value.queueID == "NEW")
        #expect(!old.transcript.string.contains("only once"))
        #expect(connector.count == 2)
    }

    @Test("S4: a 421 to the first command of a reused connection replaces it")
    func serviceClosing() async throws {
        let connector = ScriptedConnector()
        let client = client(connector)
        let old = try await deliverOnFirstConnection(client, connector)
        let second = Task { try await client.send(try Script.message()) }
        for _ in 0..<3 { _ = try await old.nextLine() }
        old.send("421 4.4.2 closing\r\n")
        let fresh = await connector.next()
        try await Script.greet(fresh)
        _ = try await Script.acceptMessage(fresh, queueID: "NEW")
        #expect(try await second.value.queueID == "NEW")
    }

    @Test("S5: after a timeout the next message goes on a fresh connection, untouched by the late reply")
    func lateReply() async throws {
        let connector = ScriptedConnector()
        let client = client(connector) { $0.timeouts.endOfData = .milliseconds(100) }
        let first = Task { try await client.send(try Script.message()) }
        let old = await connector.next()
        try await Script.greet(old)
        for _ in 0..<3 { _ = try await old.nextLine() }
        old.send("250 OK\r\n250 OK\r\n354 go\r\n")
        _ = try await old.nextData()
        let error = await #expect(throws: SMTPError.self) { try await first.value }
        #expect(error?.kind == .ambiguous && error?.code == .timedOut)
        old.send("250 OK late reply\r\n")
        let second = Task { try await client.send(try Script.message()) }
        let fresh = await connector.next()
        try await Script.greet(fresh)
        _ = try await Script.acceptMessage(fresh, queueID: "FRESH")
        #expect(try await second.value.queueID == "FRESH")
        #expect(old.isClosed && connector.count == 2)
    }

    @Test("a connection idle past the check interval is checked with NOOP first, and replaced when NOOP fails")
    func noopWhenIdle() async throws {
        let connector = ScriptedConnector()
        let client = client(connector) { $0.idleCheckInterval = .zero }
        let first = Task { try await client.send(try Script.message()) }
        let stream = await connector.next()
        try await Script.greet(stream)
        #expect(try await stream.nextLine() == "NOOP")
        stream.send("250 OK\r\n")
        _ = try await Script.acceptMessage(stream)
        _ = try await first.value
        let second = Task { try await client.send(try Script.message()) }
        #expect(try await stream.nextLine() == "NOOP")
        stream.send("250 OK\r\n")
        _ = try await Script.acceptMessage(stream)
        _ = try await second.value
        let third = Task { try await client.send(try Script.message()) }
        #expect(try await stream.nextLine() == "NOOP")
        stream.send("421 4.4.2 shutting down\r\n")
        let fresh = await connector.next()
        try await Script.greet(fresh)
        #expect(try await fresh.nextLine() == "NOOP")
        fresh.send("250 OK\r\n")
        _ = try await Script.acceptMessage(fresh, queueID: "AFTER-NOOP")
        #expect(try await third.value.queueID == "AFTER-NOOP")
        #expect(stream.transcript.string.components(separatedBy: "MAIL FROM").count == 3)
    }

    @Test("after the maximum messages per connection, the connection quits and a new one is opened")
    func maximumMessages() async throws {
        let connector = ScriptedConnector()
        let client = client(connector) { $0.maximumMessagesPerConnection = 1 }
        let first = Task { try await client.send(try Script.message()) }
        let old = await connector.next()
        try await Script.greet(old)
        _ = try await Script.acceptMessage(old)
        #expect(try await old.nextLine() == "QUIT")
        old.send("221 bye\r\n")
        _ = try await first.value
        #expect(client.idleConnections == 0 && old.isClosed)
    }
}
