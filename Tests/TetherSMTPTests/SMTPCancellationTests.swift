import Testing
import TetherNet
import TetherTestKit

@testable import TetherSMTP

@Suite("S13: cancellation in every phase")
struct SMTPCancellationTests {
    /// Cancels `task` and returns its error and how long it took to end.
    func cancel<T: Sendable>(_ task: Task<T, any Error>) async -> (SMTPError?, Duration) {
        let start = ContinuousClock.now
        task.cancel()
        do {
            _ = try await task.value
            return (nil, .now - start)
        } catch {
            return (error as? SMTPError, .now - start)
        }
    }

    enum Phase: String, CaseIterable { case greeting, hello, tls, authentication }

    @Test("S13: cancelled while establishing: returns at once, closed, phase named", arguments: Phase.allCases)
    func establishing(phase: Phase) async throws {
        let stream = ScriptedByteStream(tlsBehavior: .stall)
        var configuration = Script.configuration(timeout: .seconds(60))
        if phase == .tls { configuration.tls = .required(TLSConfiguration()) }
        if phase == .authentication {
            configuration.credentials = .plain(user: "u", password: "p")
            configuration.allowPlaintextAuthOnLoopback = true
        }
        let task = Task { try await SMTPConnection.establish(over: stream, configuration: configuration) }
        if phase != .greeting {
            stream.send("220 ready\r\n")
            _ = try await stream.nextLine()
        }
        switch phase {
        case .tls:
            stream.send(Script.ehloReply(["STARTTLS"]))
            _ = try await stream.nextLine()
            stream.send("220 go ahead\r\n")
            while !stream.isTLSPending { await Task.yield() }
        case .authentication:
            stream.send(Script.ehloReply(["AUTH PLAIN"]))
            _ = try await stream.nextLine()
        case .greeting, .hello: break
        }
        let (error, elapsed) = await cancel(task)
        #expect(error?.code == .cancelled)
        #expect(error?.phase.description == SMTPPhase.named(phase.rawValue).description)
        #expect(elapsed < ScriptedServerCancellationTests.promptly)
        #expect(stream.isClosed)
    }

    @Test("S13: cancelled while connecting: returns at once as cancelled in the connect phase")
    func connecting() async throws {
        let connector = SMTPConnector { _, _, _ in
            try await Task.sleep(for: .seconds(3600))
            return ScriptedByteStream()
        }
        let task = Task { try await SMTPConnection.connect(Script.configuration(), connector: connector) }
        let (error, elapsed) = await cancel(task)
        #expect(error?.code == .cancelled && error?.phase == .connect)
        #expect(elapsed < ScriptedServerCancellationTests.promptly)
    }

    enum TransactionPhase: String, CaseIterable { case mailFrom, recipient, data, endOfData }

    @Test(
        "S13: cancelled mid-transaction: not sent before the end of data, ambiguous after",
        arguments: TransactionPhase.allCases)
    func transaction(phase: TransactionPhase) async throws {
        let stream = ScriptedByteStream()
        let connection = try await Script.connection(stream, extensions: ["8BITMIME"])
        let task = Task { try await connection.send(try Script.message()) }
        _ = try await stream.nextLine()
        if phase != .mailFrom {
            stream.send("250 OK\r\n")
            _ = try await stream.nextLine()
        }
        if phase == .data || phase == .endOfData {
            stream.send("250 OK\r\n")
            _ = try await stream.nextLine()
        }
        if phase == .endOfData {
            stream.send("354 go\r\n")
            _ = try await stream.nextData()
        }
        let (error, elapsed) = await cancel(task)
        #expect(error?.code == .cancelled)
        #expect(error?.kind == (phase == .endOfData ? .ambiguous : .notAccepted))
        #expect(elapsed < ScriptedServerCancellationTests.promptly)
        #expect(stream.isClosed && !connection.isReusable)
    }
}

extension SMTPPhase {
    static func named(_ name: String) -> SMTPPhase {
        switch name {
        case "greeting": return .greeting
        case "hello": return .hello
        case "tls": return .tls
        default: return .authentication
        }
    }
}
