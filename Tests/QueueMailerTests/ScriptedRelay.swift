import Foundation
import Synchronization
import TetherLocking
import TetherSMTP
import TetherTestKit

@testable import QueueMailerCore

/// An SMTP relay scripted on TetherTestKit's `ScriptedSMTPServer` (loopback TCP): every
/// connection the mailer's real SMTP sessions open is answered by this script, misbehaving as
/// the test asks (closing after N messages, 4xx with hints, 5xx, silence after the end of data).
/// It records every message it accepted.
final class ScriptedRelay: Sendable {
    /// How the relay behaves; every closure sees the recipient or the count so far.
    struct Behaviour: Sendable {
        /// Close the connection after this many accepted messages on it.
        var closeAfterMessages: Int?
        /// The reply to RCPT for an address; `nil` accepts it.
        var recipientReply: @Sendable (_ address: String, _ attempt: Int) -> String? = { _, _ in nil }
        /// Whether to stay silent after the end of data (for the message with this Message-ID line).
        var silentAfterData: @Sendable (_ content: String) -> Bool = { _ in false }
        /// Drop the connection instead of answering DATA, this many times in all.
        var dropAtData = 0
        /// How long to wait before the final reply.
        var finalReplyDelay: Duration = .zero
        /// The password AUTH PLAIN must carry; `nil` offers no AUTH.
        var password: String?
        /// The reply to the nth MAIL FROM (1-based, over all connections); `nil` accepts it.
        var mailReply: @Sendable (_ number: Int) -> String? = { _ in nil }
    }

    struct Message: Sendable {
        var sender: String
        var recipients: [String]
        var content: String

        /// The Message-ID header's value, without angle brackets.
        var messageID: String? {
            content.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("message-id:") }
                .map { $0.dropFirst("message-id:".count).trimmingCharacters(in: .whitespaces) }
                .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "<>")) }
        }
    }

    private struct State {
        var messages: [Message] = []
        var connections = 0
        var recipientAttempts: [String: Int] = [:]
        var dropsLeft = 0
        var silentTransactions = 0
        var down = false
        var mailCommands = 0
    }

    private let behaviour: Behaviour
    private let state: Locked<State>
    private let server: ScriptedSMTPServer

    /// Starts listening on a loopback port; every accepted connection is served by the script.
    init(_ behaviour: Behaviour = Behaviour()) throws {
        self.behaviour = behaviour
        self.state = Locked(State(dropsLeft: behaviour.dropAtData))
        // A long step timeout: an idle pooled connection must stay served between transactions.
        self.server = try ScriptedSMTPServer(stepTimeout: .seconds(600))
        Task { await self.acceptConnections() }
    }

    deinit {
        server.close()
    }

    /// The loopback port of the scripted server.
    var port: Int { server.port }

    /// The messages accepted so far.
    var messages: [Message] { state.withLock { $0.messages } }
    /// Connections opened so far.
    var connections: Int { state.withLock { $0.connections } }
    /// Transactions left without a final reply.
    var silentTransactions: Int { state.withLock { $0.silentTransactions } }

    /// Takes the relay down (new sessions get a 421 greeting, open ones are dropped at their
    /// next command) or brings it back.
    func setDown(_ down: Bool) {
        state.withLock { $0.down = down }
    }

    /// Stops accepting connections.
    func close() {
        server.close()
    }

    private func acceptConnections() async {
        while let peer = try? await server.accept(timeout: .seconds(3600)) {
            Task { await self.serve(peer) }
        }
    }

    private func serve(_ stream: any RelayLink) async {
        let isDown = { self.state.withLock { $0.down } }
        state.withLock { $0.connections += 1 }
        if isDown() {
            await stream.reply("421 4.3.2 scripted.relay down for maintenance\r\n")
            stream.hangUp()
            return
        }
        await stream.reply("220 scripted.relay ESMTP\r\n")
        var accepted = 0
        var envelope = Message(sender: "", recipients: [], content: "")
        while let line = try? await stream.readLine() {
            guard !isDown() else { break }
            let verb = line.prefix(4).uppercased()
            switch verb {
            case "EHLO":
                let auth = behaviour.password == nil ? "" : "250-AUTH PLAIN\r\n"
                await stream.reply("250-scripted.relay\r\n\(auth)250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            case "AUTH": await stream.reply(authenticate(line, stream: stream) ? "235 2.7.0 OK\r\n" : Self.refused)
            case "HELO", "NOOP": await stream.reply("250 OK\r\n")
            case "RSET":
                envelope = Message(sender: "", recipients: [], content: "")
                await stream.reply("250 OK\r\n")
            case "MAIL":
                let number = state.withLock { state in
                    state.mailCommands += 1
                    return state.mailCommands
                }
                if let reply = behaviour.mailReply(number) {
                    await stream.reply(reply + "\r\n")
                    break
                }
                envelope = Message(sender: Self.address(in: line), recipients: [], content: "")
                await stream.reply("250 2.1.0 OK\r\n")
            case "RCPT": await stream.reply(rcpt(Self.address(in: line), into: &envelope))
            case "DATA":
                guard await data(stream, &envelope, accepted: &accepted) else { return }
            case "QUIT":
                await stream.reply("221 bye\r\n")
                stream.hangUp()
                return
            default: await stream.reply("500 unknown command\r\n")
            }
        }
        stream.hangUp()
    }

    static let refused = "535 5.7.8 authentication credentials invalid\r\n"

    /// Checks `AUTH PLAIN <base64 of NUL user NUL password>` against the expected password.
    private func authenticate(_ line: String, stream: any RelayLink) -> Bool {
        let words = line.split(separator: " ")
        guard words.count == 3, words[1].uppercased() == "PLAIN", let data = Data(base64Encoded: String(words[2]))
        else { return false }
        let password = data.split(separator: 0, omittingEmptySubsequences: false).last.map { Data($0) }
        return password == Data((behaviour.password ?? "").utf8)
    }

    private func rcpt(_ address: String, into envelope: inout Message) -> String {
        let attempt = state.withLock { state in
            state.recipientAttempts[address, default: 0] += 1
            return state.recipientAttempts[address]!
        }
        if let reply = behaviour.recipientReply(address, attempt) { return reply + "\r\n" }
        envelope.recipients.append(address)
        return "250 2.1.5 OK\r\n"
    }

    /// Answers DATA and the content; returns `false` when the connection is over.
    private func data(_ stream: any RelayLink, _ envelope: inout Message, accepted: inout Int) async -> Bool {
        guard !envelope.recipients.isEmpty else {
            await stream.reply("554 5.5.1 no valid recipients\r\n")
            return true
        }
        let drop = state.withLock { state in
            guard state.dropsLeft > 0 else { return false }
            state.dropsLeft -= 1
            return true
        }
        if drop {
            stream.hangUp()
            return false
        }
        await stream.reply("354 go ahead\r\n")
        guard let content = try? await stream.readData() else { return false }
        envelope.content = String(decoding: content, as: UTF8.self)
        if behaviour.silentAfterData(envelope.content) {
            state.withLock { $0.silentTransactions += 1 }
            _ = try? await stream.readLine()
            stream.hangUp()
            return false
        }
        if behaviour.finalReplyDelay > .zero { try? await Task.sleep(for: behaviour.finalReplyDelay) }
        let message = envelope
        let number = state.withLock { state in
            state.messages.append(message)
            return state.messages.count
        }
        await stream.reply("250 2.0.0 OK queued as S\(number)\r\n")
        accepted += 1
        if let limit = behaviour.closeAfterMessages, accepted >= limit {
            stream.hangUp()
            return false
        }
        return true
    }

    private static func address(in line: String) -> String {
        guard let open = line.firstIndex(of: "<"), let close = line[open...].firstIndex(of: ">") else { return "" }
        return String(line[line.index(after: open)..<close])
    }
}

/// One connection to the relay script.
protocol RelayLink: Sendable {
    func reply(_ text: String) async
    func readLine() async throws -> String
    func readData() async throws -> [UInt8]
    func hangUp()
}

extension ScriptedSMTPPeer: RelayLink {
    func reply(_ text: String) async {
        try? await send(text)
    }

    func hangUp() { close() }
}
