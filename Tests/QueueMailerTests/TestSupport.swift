import Foundation
import Testing
import TetherTestKit

/// A file in a fresh temporary directory, removed when the value goes away.
final class TemporaryFile {
    let directory: String
    let path: String

    init(_ content: String, name: String = "file.json") throws {
        directory = NSTemporaryDirectory() + "queue-mailer-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/" + name
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// The sample requests and configuration shipped in Examples/QueueMailer/samples.
enum Samples {
    static let directory: String = {
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        return tests.appendingPathComponent("../../Examples/QueueMailer/samples").standardizedFileURL.path
    }()

    static func path(_ name: String) -> String {
        directory + "/" + name
    }

    static func requestLines() throws -> [String] {
        let text = try String(contentsOfFile: path("requests.jsonl"), encoding: .utf8)
        return text.split(separator: "\n").map(String.init)
    }
}

/// Whether server-backed suites run: the server is up, or this is CI (where they then fail loudly).
enum TestServersGate {
    static let postgres = TestServers.current.shouldRun(.postgres)
    static let postgresMessage = TestServers.skipMessage(.postgres)
    static let plainSMTP = TestServers.current.shouldRun(.plainSMTP)
    static let plainSMTPMessage = TestServers.skipMessage(.plainSMTP)
    static let secureSMTP = TestServers.current.shouldRun(.secureSMTP)
    static let secureSMTPMessage = TestServers.skipMessage(.secureSMTP)
}

/// The suites that run a whole mailer (pools, relays, child processes), one at a time: run
/// together they compete for the machine's cores, and their timeouts stop meaning anything.
@Suite(.serialized)
struct MailerIntegration {}
