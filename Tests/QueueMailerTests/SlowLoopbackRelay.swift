import Foundation
import Synchronization
import TetherLocking
import TetherTestKit

@testable import QueueMailerCore

/// A minimal SMTP relay on a loopback port (TetherTestKit's `LoopbackListener`) that waits
/// `finalReplyDelay` before each final reply, so a separate mailer process is caught mid-send.
/// Each connection is served on a thread of its own with blocking reads.
final class SlowLoopbackRelay: Sendable {
    private let accepted = Counter()
    private let listener: LoopbackListener

    init(finalReplyDelay: Duration) throws {
        let accepted = self.accepted
        listener = try LoopbackListener { connection in
            Thread.detachNewThread { Self.serve(connection, delay: finalReplyDelay, accepted: accepted) }
        }
    }

    var port: Int { listener.port }
    /// Messages that got their 250 so far.
    var acceptedCount: Int { accepted.value }

    func close() { listener.close() }

    private static func serve(_ connection: LoopbackConnection, delay: Duration, accepted: Counter) {
        var reader = LineReader(connection: connection)
        connection.write(Array("220 slow.relay ESMTP\r\n".utf8))
        while let line = reader.next() {
            switch line.prefix(4).uppercased() {
            case "EHLO": connection.write(Array("250-slow.relay\r\n250 8BITMIME\r\n".utf8))
            case "DATA":
                connection.write(Array("354 go ahead\r\n".utf8))
                while let content = reader.next(), content != "." {}
                Thread.sleep(forTimeInterval: DurationText.seconds(of: delay))
                guard connection.write(Array("250 OK\r\n".utf8)) else { return }
                accepted.increment()
            case "QUIT":
                connection.write(Array("221 bye\r\n".utf8))
                connection.close()
                return
            default: connection.write(Array("250 OK\r\n".utf8))
            }
        }
    }

    private struct LineReader {
        let connection: LoopbackConnection
        var buffer: [UInt8] = []

        mutating func next() -> String? {
            while true {
                if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = buffer[..<end].filter { $0 != 0x0D }
                    buffer.removeFirst(end + 1)
                    return String(decoding: line, as: UTF8.self)
                }
                let chunk = connection.read()
                if chunk.isEmpty { return nil }
                buffer += chunk
            }
        }
    }
}

/// A count shared between threads.
final class Counter: Sendable {
    private let storage = Locked(0)

    var value: Int { storage.withLock { $0 } }

    func increment() {
        storage.withLock { $0 += 1 }
    }
}
